package dev.portico.web.routes;

import java.util.Set;

/**
 * One registered route: a path pattern, the methods it answers (empty for all) and either a
 * handler that gets the whole body or an upload handler that streams it.
 */
record Route(PathPattern pattern, Set<String> methods, Handler handler, UploadHandler upload) {

    boolean allows(String method) {
        return methods.isEmpty() || methods.contains(method) || method.equals("HEAD") && methods.contains("GET");
    }
}
