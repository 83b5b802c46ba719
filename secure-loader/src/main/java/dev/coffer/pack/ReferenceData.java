package dev.coffer.pack;

/** Named, owner-signed data that later features put in the manifest (e.g. reference fingerprints). */
public record ReferenceData(String name, byte[] data) {
    public ReferenceData {
        data = data.clone();
    }

    @Override
    public byte[] data() { return data.clone(); }
}
