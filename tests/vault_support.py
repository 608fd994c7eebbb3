"""Java's view of secure-vault ciphertexts: decrypted as API-M does."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import require_tool

JAVA_DECRYPT = r"""
import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.util.Base64;
import javax.crypto.Cipher;

/** Decrypts secure-vault values as API-M's FileBaseSecretRepository does: Cipher "RSA". */
public class VaultDecrypt {
    public static void main(String[] args) throws Exception {
        // args: keystore type password alias cases-file
        KeyStore store = KeyStore.getInstance(args[1]);
        try (FileInputStream in = new FileInputStream(args[0])) {
            store.load(in, args[2].toCharArray());
        }
        Key key = store.getKey(args[3], args[2].toCharArray());
        for (String line : Files.readAllLines(Path.of(args[4]), StandardCharsets.UTF_8)) {
            if (line.isEmpty()) continue;
            String[] parts = line.split("\t");
            Cipher cipher = Cipher.getInstance("RSA");
            cipher.init(Cipher.DECRYPT_MODE, key);
            byte[] plain = cipher.doFinal(Base64.getDecoder().decode(parts[1]));
            String expected = new String(Base64.getDecoder().decode(parts[2]), StandardCharsets.UTF_8);
            String got = new String(plain, StandardCharsets.UTF_8);
            System.out.println(parts[0] + " " + (got.equals(expected) ? "ok" : "MISMATCH"));
        }
    }
}
"""


def java_decrypt(keystore: Path, store_type: str, password: str, alias: str,
                 cases: list[tuple[str, str, str]], workdir: Path) -> dict[str, str]:
    """{alias: "ok" | "MISMATCH"} from Java's Cipher.getInstance("RSA") with the keystore's key."""
    import base64

    java = require_tool("java")
    source = workdir / "VaultDecrypt.java"
    source.write_text(JAVA_DECRYPT)
    lines = workdir / "cases.tsv"
    lines.write_text("".join(f"{a}\t{c}\t{base64.b64encode(p.encode()).decode()}\n" for a, c, p in cases))
    result = subprocess.run([java, str(source), str(keystore), store_type, password, alias, str(lines)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return dict(line.split(" ", 1) for line in result.stdout.splitlines())
