package dev.portico.web.routes;

import dev.portico.web.http.BodySink;
import io.netty.buffer.ByteBuf;

/** Feeds a streamed body to an {@link Upload} and sends what it answers. */
final class UploadSink implements BodySink {

    private final Routes routes;
    private final Request request;
    private final Upload upload;
    private boolean failed;

    UploadSink(Routes routes, Request request, Upload upload) {
        this.routes = routes;
        this.request = request;
        this.upload = upload;
    }

    @Override
    public void onData(ByteBuf data) {
        if (failed) {
            return;
        }
        try {
            upload.onChunk(data.nioBuffer().asReadOnlyBuffer());
        } catch (Exception e) {
            failed = true;
            upload.onAbort();
            request.exchange().closeAfterResponse();
            routes.fail(request, e);
        }
    }

    @Override
    public void onEnd() {
        if (failed) {
            return;
        }
        Response response;
        try {
            response = upload.onComplete();
        } catch (Exception e) {
            failed = true;
            routes.fail(request, e);
            return;
        }
        routes.send(request, response);
    }

    @Override
    public void onAbort() {
        if (!failed) {
            failed = true;
            upload.onAbort();
        }
    }
}
