package dev.coffer.host.net;

import dev.coffer.tee.Digest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.time.Duration;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One HTTPS exchange (the JDK's HttpClient, TLS 1.3, trust as {@link TlsTrust} says) that also reports which key the
 * server presented on the connection the answer came over: attestation binds to exactly that key.
 */
public final class HttpsClient implements AutoCloseable {
    /** An answer and the server key of its connection (SHA-256 of the certificate's SubjectPublicKeyInfo). */
    public record Reply(int status, String body, Digest serverKey) {
    }

    /** An answer whose body is read as it arrives (server-sent events), with its headers and the server key. */
    public record StreamingReply(int status, java.net.http.HttpHeaders headers, java.io.InputStream body, Digest serverKey)
            implements AutoCloseable {
        public String contentType() {
            return headers.firstValue("content-type").orElse("").split(";")[0].strip();
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    private final TlsTrust trust;
    private final Duration timeout;

    public HttpsClient(TlsTrust trust, Duration timeout) {
        this.trust = trust;
        this.timeout = timeout;
    }

    public Reply get(URI uri) throws IOException {
        return send(HttpRequest.newBuilder(uri).GET());
    }

    public Reply postJson(URI uri, String json) throws IOException {
        return send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)));
    }

    /** POSTs {@code body} and returns as soon as the headers are in; the caller reads (and closes) the body. */
    public StreamingReply postStreaming(URI uri, String contentType, byte[] body) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).timeout(timeout).build();
        try {
            HttpResponse<java.io.InputStream> r = client().send(request, HttpResponse.BodyHandlers.ofInputStream());
            Certificate leaf = r.sslSession().orElseThrow(() -> new IOException("the answer came without TLS"))
                    .getPeerCertificates()[0];
            return new StreamingReply(r.statusCode(), r.headers(), r.body(), TlsIdentity.spkiSha256(leaf));
        } catch (SSLPeerUnverifiedException e) {
            throw new IOException("the server presented no certificate", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private HttpClient client;

    /** One client per HttpsClient, so connections are kept alive and reused (with the same trust). */
    private synchronized HttpClient client() {
        if (client == null) {
            SSLParameters params = new SSLParameters();
            params.setProtocols(new String[] {"TLSv1.3"});
            client = HttpClient.newBuilder().sslContext(trust.sslContext()).sslParameters(params)
                    .connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
        }
        return client;
    }

    @Override
    public synchronized void close() {
        if (client != null) client.close();
        client = null;
    }

    private Reply send(HttpRequest.Builder request) throws IOException {
        if (!"https".equalsIgnoreCase(request.build().uri().getScheme())) {
            throw new IOException("only https:// URLs are accepted, not " + request.build().uri());
        }
        try {
            HttpResponse<String> r = client().send(request.timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            Certificate leaf = r.sslSession().orElseThrow(() -> new IOException("the answer came without TLS"))
                    .getPeerCertificates()[0];
            return new Reply(r.statusCode(), r.body(), TlsIdentity.spkiSha256(leaf));
        } catch (SSLPeerUnverifiedException e) {
            throw new IOException("the server presented no certificate", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** The base URL with a path (and query) appended. */
    public static URI resolve(URI base, String pathAndQuery) {
        String b = base.toString();
        return URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + pathAndQuery);
    }
}
