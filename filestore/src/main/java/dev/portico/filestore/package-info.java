/**
 * The distributed file store ({@code type: filestore}), 3fsd's router: a stateless HTTP router
 * in front of plain WebDAV nodes that computes each file's nodes from the md5 of its path
 * ({@link dev.portico.filestore.Placement}), reads one replica with failover, writes all replicas
 * in parallel with a quorum, and keeps the layout that placement depends on in a state file.
 */
package dev.portico.filestore;
