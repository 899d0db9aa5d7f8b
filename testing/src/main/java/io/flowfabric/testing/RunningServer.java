package io.flowfabric.testing;

/**
 * How to reach a server that a launcher started or found, and how to stop it.
 *
 * @param host the host name or address clients connect to
 * @param port the port clients connect to
 * @param username the user with the right to create and drop databases
 * @param password that user's password, empty when the server does not ask for one
 * @param adminDatabase the existing database to connect to when creating and dropping test databases
 * @param stopper stops the server; does nothing for an external server
 */
record RunningServer(String host, int port, String username, String password, String adminDatabase,
                     AutoCloseable stopper) {
}
