package dev.portico.tunnel;

import org.junit.jupiter.api.Test;

import java.security.SecureRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenProofTest {

    private final byte[] nonce = TokenProof.nonce(new SecureRandom());

    @Test
    void theProofBindsTokenSessionNonceAndAddress() {
        byte[] proof = TokenProof.prove("s3cret", "warp1", nonce, "172.31.250.2:40000");
        assertThat(proof).hasSize(TokenProof.PROOF_BYTES);
        assertThat(TokenProof.verify("s3cret", "warp1", nonce, "172.31.250.2:40000", proof)).isTrue();
        assertThat(TokenProof.verify("s3creT", "warp1", nonce, "172.31.250.2:40000", proof)).isFalse();
        assertThat(TokenProof.verify("s3cret", "warp2", nonce, "172.31.250.2:40000", proof)).isFalse();
        assertThat(TokenProof.verify("s3cret", "warp1", TokenProof.nonce(new SecureRandom()), "172.31.250.2:40000",
                proof)).isFalse();
        assertThat(TokenProof.verify("s3cret", "warp1", nonce, "172.31.250.3:40000", proof)).isFalse();
    }

    @Test
    void partsDoNotRunTogether() {
        // "warp1" + "2..." must not prove "warp12" + "..."
        byte[] a = TokenProof.prove("t", "warp1", nonce, "2.1.1.1:1");
        assertThat(TokenProof.verify("t", "warp12", nonce, ".1.1.1:1", a)).isFalse();
    }

    @Test
    void fingerprintsAreReadInTheirUsualForms() {
        String fp = "f48e535417db0b17e3e441586b638122d8f32cb2ee3840b71c83a6c088e76125";
        assertThat(Fingerprints.normalize(fp.toUpperCase())).isEqualTo(fp);
        assertThat(Fingerprints.normalize("sha256:" + fp)).isEqualTo(fp);
        assertThat(Fingerprints.normalize(fp.replaceAll("(..)(?!$)", "$1:"))).isEqualTo(fp);
        assertThatThrownBy(() -> Fingerprints.normalize("abc")).hasMessageContaining("64 hex digits");
    }
}
