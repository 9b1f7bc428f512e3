package dev.portico.server;

/** {@link Main} with the test service types, for tests that run portico as a separate process. */
public final class TestMain {

    private TestMain() {
    }

    public static void main(String[] args) {
        Cli cli = new Cli(TestTypes.all(), System.out, System.err, new Logging(), true, d -> {
        });
        System.exit(new Main(cli).run(args));
    }
}
