/**
 * Backend selection algorithms behind one small interface, {@link dev.portico.upstream.scheduler.Scheduler}.
 * Each scheduler is a pure, thread-safe object that picks one backend from a pool snapshot; build
 * them with {@link dev.portico.upstream.scheduler.Schedulers#byName(String)} or the factory methods
 * in {@link dev.portico.upstream.scheduler.Schedulers}.
 */
package dev.portico.upstream.scheduler;
