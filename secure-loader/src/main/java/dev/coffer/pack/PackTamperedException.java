package dev.coffer.pack;

/**
 * A check of authenticity failed: the owner's signature, a chunk's authentication tag, a chunk digest or the
 * recipients block's MAC. The pack is corrupt or was modified; nothing of the failing part was used.
 */
public final class PackTamperedException extends PackException {
    public PackTamperedException(String message) {
        super(message);
    }
}
