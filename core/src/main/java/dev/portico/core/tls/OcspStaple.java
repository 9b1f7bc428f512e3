package dev.portico.core.tls;

import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * A DER OCSP response read from a file, with the serial numbers it speaks for, so that it is
 * stapled only to handshakes that present one of those certificates.
 *
 * @param der     the response as sent in the handshake
 * @param serials the serial numbers of the certificates it answers for
 */
record OcspStaple(byte[] der, Set<BigInteger> serials) {

    static OcspStaple read(Path file) throws TlsException {
        byte[] der;
        try {
            der = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TlsException(file, "cannot read OCSP response " + file + ": " + e.getMessage(), e);
        }
        try {
            OCSPResp resp = new OCSPResp(der);
            if (resp.getStatus() != OCSPResp.SUCCESSFUL) {
                throw new TlsException(file, "OCSP response " + file + " has status " + resp.getStatus()
                        + ", not successful (0)");
            }
            if (!(resp.getResponseObject() instanceof BasicOCSPResp basic)) {
                throw new TlsException(file, "OCSP response " + file + " is not a basic OCSP response");
            }
            Set<BigInteger> serials = new HashSet<>();
            for (SingleResp single : basic.getResponses()) {
                serials.add(single.getCertID().getSerialNumber());
            }
            return new OcspStaple(der, Set.copyOf(serials));
        } catch (IOException | OCSPException | RuntimeException e) {
            throw new TlsException(file, file + " is not a DER OCSP response: " + e.getMessage(), e);
        }
    }
}
