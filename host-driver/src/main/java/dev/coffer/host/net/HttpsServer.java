package dev.coffer.host.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.channel.ChannelHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * An HTTPS/1.1 server on Netty: TLS (from a {@link TlsIdentity}), the HTTP codec, keep-alive, a body limit, an idle
 * timeout, and a router that hands each request to its route's handler on a worker thread (handlers may block on
 * the secure world; the event loop never does). Routes are "METHOD /path"; an unknown path is a 404, a known path
 * with another method a 405, a handler's failure a 500 that says nothing about the failure (the log does).
 */
public final class HttpsServer implements AutoCloseable {
    /** One request as a handler sees it, and the way to answer it later ({@link Answer#DEFERRED}). */
    public record Call(String method, String path, Map<String, List<String>> query, Map<String, String> headers,
                       byte[] body, Responder responder) {
        /** The single value of a query parameter, if given once. */
        public java.util.Optional<String> parameter(String name) {
            List<String> v = query.get(name);
            return v == null || v.size() != 1 ? java.util.Optional.empty() : java.util.Optional.of(v.getFirst());
        }

        /** A request header (names are lower case). */
        public java.util.Optional<String> header(String name) {
            return java.util.Optional.ofNullable(headers.get(name.toLowerCase(java.util.Locale.ROOT)));
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One whole answer. {@link #DEFERRED}: the handler answers later through {@link Call#responder()}. */
    public record Answer(int status, String contentType, byte[] body, Map<String, String> headers) {
        public static final Answer DEFERRED = new Answer(0, "", new byte[0], Map.of());

        public Answer(int status, String contentType, byte[] body) {
            this(status, contentType, body, Map.of());
        }

        public static Answer json(int status, String json) {
            return new Answer(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
        }

        public Answer withHeader(String name, String value) {
            Map<String, String> h = new java.util.LinkedHashMap<>(headers);
            h.put(name, value);
            return new Answer(status, contentType, body, h);
        }
    }

    /** Answers one request from any thread: whole, or as server-sent events. */
    public interface Responder {
        void send(Answer answer);

        /** Sends the headers of a {@code text/event-stream} answer; events follow. */
        EventStream startEvents(int status);

        /** Runs when the client's connection closes (at once if it already has). */
        void onClose(Runnable action);
    }

    /** Server-sent events: each {@link #event} is one {@code data:} line and a blank line. */
    public interface EventStream {
        void event(String data);

        /** Ends the answer (the connection stays open for the next request when the client keeps it alive). */
        void end();
    }

    @FunctionalInterface
    public interface Handler {
        Answer handle(Call call) throws Exception;
    }

    /** Connections served at once; more are closed on arrival. */
    public static final int MAX_CONNECTIONS = 1024;

    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final ExecutorService workers;
    private final Channel channel;

    private HttpsServer(EventLoopGroup boss, EventLoopGroup io, ExecutorService workers, Channel channel) {
        this.boss = boss;
        this.io = io;
        this.workers = workers;
        this.channel = channel;
    }

    /**
     * Binds {@code host:port} (port 0: any free one) and serves {@code routes}.
     *
     * @param maxBodyBytes larger request bodies are answered 413 without reaching a handler
     * @param idleSeconds  a connection silent this long is closed (slow or stuck clients)
     */
    public static HttpsServer start(String host, int port, SslContext tls, Map<String, Handler> routes, int maxBodyBytes,
                                    int idleSeconds, java.util.function.Consumer<String> log) throws InterruptedException {
        return bind(host, port, java.util.Objects.requireNonNull(tls, "tls"), routes, maxBodyBytes, idleSeconds, log);
    }

    /**
     * Plain HTTP, for the client proxy's local side only: it binds loopback addresses and nothing else, so what
     * crosses it never leaves the machine.
     */
    public static HttpsServer startLoopback(String host, int port, Map<String, Handler> routes, int maxBodyBytes,
                                            int idleSeconds, java.util.function.Consumer<String> log) throws InterruptedException {
        try {
            if (!java.net.InetAddress.getByName(host).isLoopbackAddress()) {
                throw new IllegalArgumentException(host + " is not a loopback address: plain HTTP is served on 127.0.0.1 or ::1 only");
            }
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("unknown host " + host);
        }
        return bind(host, port, null, routes, maxBodyBytes, idleSeconds, log);
    }

    private static HttpsServer bind(String host, int port, SslContext tls, Map<String, Handler> routes, int maxBodyBytes,
                                    int idleSeconds, java.util.function.Consumer<String> log) throws InterruptedException {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup io = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
        Router router = new Router(Map.copyOf(routes), workers, log);
        java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        try {
            Channel ch = new ServerBootstrap().group(boss, io).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            // A bound on open connections: each costs buffers and a TLS session, and clients that
                            // only open them must not exhaust the server.
                            if (connections.incrementAndGet() > MAX_CONNECTIONS) {
                                connections.decrementAndGet();
                                c.close();
                                return;
                            }
                            c.closeFuture().addListener(f -> connections.decrementAndGet());
                            c.pipeline().addLast(new IdleStateHandler(0, 0, idleSeconds));
                            if (tls != null) c.pipeline().addLast(tls.newHandler(c.alloc()));
                            c.pipeline().addLast(new HttpServerCodec())
                                    .addLast(new HttpServerKeepAliveHandler())
                                    .addLast(new HttpObjectAggregator(maxBodyBytes))
                                    .addLast(router);
                        }
                    }).bind(new InetSocketAddress(host, port)).sync().channel();
            return new HttpsServer(boss, io, workers, ch);
        } catch (RuntimeException | InterruptedException e) {
            boss.shutdownGracefully();
            io.shutdownGracefully();
            workers.shutdownNow();
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        // A short quiet period: answers in flight are written, and Ctrl-C does not wait Netty's default 2 s.
        boss.shutdownGracefully(100, 2000, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
        io.shutdownGracefully(100, 2000, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
        workers.shutdownNow();
    }

    private static final AttributeKey<java.util.concurrent.atomic.AtomicInteger> IN_FLIGHT =
            AttributeKey.valueOf("coffer-in-flight");

    @ChannelHandler.Sharable
    private static final class Router extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Map<String, Handler> routes;
        private final ExecutorService workers;
        private final java.util.function.Consumer<String> log;

        Router(Map<String, Handler> routes, ExecutorService workers, java.util.function.Consumer<String> log) {
            this.routes = routes;
            this.workers = workers;
            this.log = log;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (!request.decoderResult().isSuccess()) {
                reply(ctx, false, Answer.json(400, error(400, "malformed HTTP request")));
                return;
            }
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            String method = request.method().name();
            Handler handler = routes.get(method + " " + uri.path());
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (handler == null) {
                boolean pathKnown = routes.keySet().stream().anyMatch(r -> r.endsWith(" " + uri.path()));
                reply(ctx, keepAlive, pathKnown ? Answer.json(405, error(405, method + " is not allowed on " + uri.path()))
                        : Answer.json(404, error(404, "no such endpoint: " + uri.path())));
                return;
            }
            byte[] body = new byte[request.content().readableBytes()];
            request.content().readBytes(body);
            Map<String, String> headers = new java.util.HashMap<>();
            request.headers().forEach(h -> headers.putIfAbsent(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
            inFlight(ctx).incrementAndGet();
            Call call = new Call(method, uri.path(), uri.parameters(), Map.copyOf(headers), body,
                    new ChannelResponder(ctx, keepAlive));
            try {
                workers.execute(() -> {
                    Answer answer;
                    try {
                        answer = handler.handle(call);
                    } catch (Exception | LinkageError e) {
                        log.accept(method + " " + uri.path() + " failed: " + e);
                        answer = Answer.json(500, error(500, "internal error; the server's log has the cause"));
                    }
                    if (answer != Answer.DEFERRED) call.responder().send(answer);
                });
            } catch (RejectedExecutionException e) {
                reply(ctx, false, Answer.json(503, error(503, "the server is shutting down")));
            }
        }

        /** Idle connections close, unless an answer is still being generated for them (streamed or not). */
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof IdleStateEvent) {
                if (inFlight(ctx).get() == 0) ctx.close();
            } else {
                super.userEventTriggered(ctx, event);
            }
        }

        static java.util.concurrent.atomic.AtomicInteger inFlight(ChannelHandlerContext ctx) {
            var attr = ctx.channel().attr(IN_FLIGHT);
            attr.setIfAbsent(new java.util.concurrent.atomic.AtomicInteger());
            return attr.get();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // TLS failures, resets and idle timeouts end only this connection.
            ctx.close();
        }

        private static void reply(ChannelHandlerContext ctx, boolean keepAlive, Answer a) {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(a.status()),
                    Unpooled.wrappedBuffer(a.body()));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, a.body().length)
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
            a.headers().forEach((name, value) -> r.headers().set(name, value));
            if (keepAlive) {
                HttpUtil.setKeepAlive(r, true);
                ctx.writeAndFlush(r);
            } else {
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** Writes one request's answer on its channel's event loop, whichever thread answers. */
    private static final class ChannelResponder implements Responder {
        private final ChannelHandlerContext ctx;
        private final boolean keepAlive;
        private final java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();

        ChannelResponder(ChannelHandlerContext ctx, boolean keepAlive) {
            this.ctx = ctx;
            this.keepAlive = keepAlive;
        }

        @Override
        public void send(Answer answer) {
            if (!answered.compareAndSet(false, true)) throw new IllegalStateException("this request was answered already");
            ctx.executor().execute(() -> {
                Router.inFlight(ctx).decrementAndGet();
                Router.reply(ctx, keepAlive, answer);
            });
        }

        @Override
        public EventStream startEvents(int status) {
            if (!answered.compareAndSet(false, true)) throw new IllegalStateException("this request was answered already");
            DefaultHttpResponse r = new DefaultHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                    .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            HttpUtil.setKeepAlive(r, keepAlive);
            ctx.executor().execute(() -> ctx.writeAndFlush(r));
            return new EventStream() {
                @Override
                public void event(String data) {
                    byte[] b = ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
                    ctx.executor().execute(() -> ctx.writeAndFlush(new DefaultHttpContent(
                            Unpooled.wrappedBuffer(b))));
                }

                @Override
                public void end() {
                    ctx.executor().execute(() -> {
                        Router.inFlight(ctx).decrementAndGet();
                        var f = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                        if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
                    });
                }
            };
        }

        @Override
        public void onClose(Runnable action) {
            ctx.channel().closeFuture().addListener(f -> action.run());
        }
    }

    /** An error body in the shape the OpenAI API uses: {"error": {"message", "type", "code"}}. */
    public static String error(int status, String message) {
        Map<String, Object> e = new java.util.LinkedHashMap<>();
        e.put("message", message);
        e.put("type", status >= 500 ? "server_error" : "invalid_request_error");
        e.put("code", status);
        return com.nimbusds.jose.util.JSONObjectUtils.toJSONString(Map.of("error", e));
    }
}
