package dev.portico.filestore;

import dev.portico.proxy.UpstreamHead;
import dev.portico.web.http.Exchange;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpMethod;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * Finds which stage holds a file given without its stage: asks the stages in the order given
 * (newest first), each with HEAD to its replicas until one answers 2xx. A stage whose replicas
 * all answer otherwise (or cannot be reached) does not hold it.
 */
final class StageFinder implements NodeCall.Listener {

    private final Shared shared;
    private final StorePool pool;
    private final String filePath;
    private final List<Integer> stages;
    private final Exchange ex;
    private final EventLoop loop;
    private final IntConsumer found;
    private int stageIndex;
    private List<NodeState> replicas;
    private int replicaIndex;

    /**
     * @param found told the stage that holds the file, or -1 when none does
     */
    StageFinder(Shared shared, StorePool pool, String filePath, List<Integer> stages, Exchange ex, IntConsumer found) {
        this.shared = shared;
        this.pool = pool;
        this.filePath = filePath;
        this.stages = stages;
        this.ex = ex;
        this.loop = ex.context().channel().eventLoop();
        this.found = found;
    }

    void start() {
        nextStage();
    }

    private void nextStage() {
        if (stageIndex >= stages.size()) {
            found.accept(-1);
            return;
        }
        int stage = stages.get(stageIndex++);
        replicas = shared.nodes().readOrder(Router.replicas(shared.config(), pool, stage, filePath));
        replicaIndex = 0;
        nextReplica();
    }

    private void nextReplica() {
        if (replicaIndex >= replicas.size()) {
            nextStage();
            return;
        }
        int stage = stages.get(stageIndex - 1);
        NodeCall.open(shared.nodes(), loop, replicas.get(replicaIndex++),
                NodeHeaders.request(HttpMethod.HEAD, Router.stagedUri(shared.config(), stage, filePath),
                        NodeHeaders.hostOnly(ex.headers()),
                        -2, false), false, this);
    }

    @Override
    public void onHead(NodeCall call, UpstreamHead head) {
        call.abort();
        int code = head.status();
        if (code >= 200 && code < 300) {
            found.accept(stages.get(stageIndex - 1));
        } else {
            nextReplica();
        }
    }

    @Override
    public void onBody(NodeCall call, ByteBuf content, boolean last) {
    }

    @Override
    public void onFailure(NodeCall call, String reason, boolean timeout) {
        nextReplica();
    }
}
