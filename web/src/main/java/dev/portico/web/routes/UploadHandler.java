package dev.portico.web.routes;

/**
 * Starts a streamed upload once a request's headers have arrived: returns the {@link Upload}
 * that takes the body. Throwing {@link HttpError} refuses the upload before any of it is read.
 */
@FunctionalInterface
public interface UploadHandler {

    Upload begin(Request request) throws Exception;
}
