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
import io.netty.handler.timeout.ReadTimeoutHandler;
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
    /** One request as a handler sees it. */
    public record Call(String method, String path, Map<String, List<String>> query, byte[] body) {
        /** The single value of a query parameter, if given once. */
        public java.util.Optional<String> parameter(String name) {
            List<String> v = query.get(name);
            return v == null || v.size() != 1 ? java.util.Optional.empty() : java.util.Optional.of(v.getFirst());
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One answer. */
    public record Answer(int status, String contentType, byte[] body) {
        public static Answer json(int status, String json) {
            return new Answer(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
        }
    }

    @FunctionalInterface
    public interface Handler {
        Answer handle(Call call) throws Exception;
    }

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
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup io = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
        Router router = new Router(Map.copyOf(routes), workers, log);
        try {
            Channel ch = new ServerBootstrap().group(boss, io).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline().addLast(new ReadTimeoutHandler(idleSeconds))
                                    .addLast(tls.newHandler(c.alloc()))
                                    .addLast(new HttpServerCodec())
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

    @io.netty.channel.ChannelHandler.Sharable
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
            Call call = new Call(method, uri.path(), uri.parameters(), body);
            try {
                workers.execute(() -> {
                    Answer answer;
                    try {
                        answer = handler.handle(call);
                    } catch (Exception | LinkageError e) {
                        log.accept(method + " " + uri.path() + " failed: " + e);
                        answer = Answer.json(500, error(500, "internal error; the server's log has the cause"));
                    }
                    Answer a = answer;
                    ctx.executor().execute(() -> reply(ctx, keepAlive, a));
                });
            } catch (RejectedExecutionException e) {
                reply(ctx, false, Answer.json(503, error(503, "the server is shutting down")));
            }
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
            if (keepAlive) {
                HttpUtil.setKeepAlive(r, true);
                ctx.writeAndFlush(r);
            } else {
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
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
