package dev.portico.admin;

/** Answers one admin route. Runs on the admin executor, never on an event loop. */
@FunctionalInterface
public interface AdminHandler {

    AdminResponse handle(AdminRequest request) throws Exception;
}
