/**
 * The interception CA (semantics §5 step 7): the user's PEM pair, or one loaded from / generated
 * into a directory (ECDSA P-256, key file mode 0600), and the signing of per-SNI leaf
 * certificates (ECDSA P-256, SAN = [SNI], EKU serverAuth, AKI, notBefore = now - 2 s).
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createPrivateKey, randomBytes, webcrypto } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isIP } from "node:net";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;

const crypto = webcrypto;
x509.cryptoProvider.set(crypto as never);

const EC_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;

/** A loaded CA able to sign leaves. */
export interface InterceptCa {
  /** The CA certificate, PEM (what the guest trusts). */
  readonly certPem: string;
  readonly cert: x509.X509Certificate;
  /** The signing key (WebCrypto). */
  readonly key: CryptoKey;
  readonly signingAlgorithm: Algorithm | EcdsaParams;
}

/** Where the CA comes from. */
export interface CaSource {
  /** The user's PEM pair (both or neither). */
  readonly certPath?: string;
  readonly keyPath?: string;
  /** Directory holding `ca.crt` / `ca.key`, created (and the pair generated) when missing. */
  readonly dir?: string;
  /** Subject of a generated CA. */
  readonly commonName?: string;
}

function pem(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** PKCS#8 PEM of a WebCrypto private key. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  return pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", key));
}

async function importSigningKey(keyPem: string, where: string): Promise<{ key: CryptoKey; alg: Algorithm | EcdsaParams }> {
  let ko;
  try {
    ko = createPrivateKey(keyPem);
  } catch (e) {
    throw new Error(`intercept CA key ${where}: not a PEM private key (${(e as Error).message}); expected PKCS#8, SEC1 EC or PKCS#1 RSA PEM`);
  }
  const der = ko.export({ type: "pkcs8", format: "der" });
  if (ko.asymmetricKeyType === "ec") {
    const curve = ko.asymmetricKeyDetails?.namedCurve;
    const named = curve === "prime256v1" ? "P-256" : curve === "secp384r1" ? "P-384" : curve === "secp521r1" ? "P-521" : undefined;
    if (!named) throw new Error(`intercept CA key ${where}: EC curve ${curve} is not supported; expected P-256, P-384 or P-521`);
    const hash = named === "P-256" ? "SHA-256" : named === "P-384" ? "SHA-384" : "SHA-512";
    const key = await crypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: named }, false, ["sign"]);
    return { key, alg: { name: "ECDSA", hash } as EcdsaParams };
  }
  if (ko.asymmetricKeyType === "rsa") {
    const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return { key: await crypto.subtle.importKey("pkcs8", der, alg, false, ["sign"]), alg };
  }
  throw new Error(`intercept CA key ${where}: key type ${ko.asymmetricKeyType} is not supported; expected EC or RSA`);
}

/** Load a CA from a certificate PEM and a private key PEM. */
export async function caFromPem(certPem: string, keyPem: string, where = "(inline)"): Promise<InterceptCa> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch (e) {
    throw new Error(`intercept CA certificate ${where}: not a PEM certificate (${(e as Error).message})`);
  }
  const { key, alg } = await importSigningKey(keyPem, where);
  return { certPem: cert.toString("pem") + "\n", cert, key, signingAlgorithm: alg };
}

/** Generate a fresh CA (ECDSA P-256, 10 years, CA:true, keyCertSign+cRLSign). */
export async function generateCa(commonName = "sandbox interception CA"): Promise<{ ca: InterceptCa; keyPem: string }> {
  const keys = (await crypto.subtle.generateKey(EC_P256, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString("hex").replace(/^[89a-f]/, "1"),
    name: `CN=${commonName}, O=sandbox`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 10 * 365 * 24 * 3600_000),
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = await privateKeyPem(keys.privateKey);
  return { ca: { certPem: cert.toString("pem") + "\n", cert, key: keys.privateKey, signingAlgorithm: ECDSA_SHA256 }, keyPem };
}

async function readIfExists(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * Obtain the CA: the user's pair when configured (both paths required), else `dir/ca.crt` +
 * `dir/ca.key` when present, else a generated one persisted there (key mode 0600).
 */
export async function loadOrCreateCa(src: CaSource): Promise<InterceptCa> {
  if (src.certPath !== undefined || src.keyPath !== undefined) {
    if (!src.certPath || !src.keyPath) throw new Error("intercept CA config is incomplete; set both cert_path and key_path");
    return caFromPem(await readFile(src.certPath, "utf8"), await readFile(src.keyPath, "utf8"), src.keyPath);
  }
  if (!src.dir) throw new Error("intercept CA: neither cert_path/key_path nor a CA directory was given");
  const certPath = join(src.dir, "ca.crt");
  const keyPath = join(src.dir, "ca.key");
  const [c, k] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (c !== undefined && k !== undefined) return caFromPem(c, k, keyPath);
  const { ca, keyPem } = await generateCa(src.commonName);
  await mkdir(src.dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, keyPem, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  await writeFile(certPath, ca.certPem, { mode: 0o644 });
  return ca;
}

/** A signed leaf: certificate chain PEM (leaf then CA) and its private key PEM. */
export interface LeafMaterial {
  readonly certChainPem: string;
  readonly keyPem: string;
  readonly notAfter: Date;
}

/** Sign a leaf for `host` (SAN = [host] as a DNS name, or an IP SAN for an IP literal; CN = host). */
export async function issueLeaf(ca: InterceptCa, host: string, validityHours: number): Promise<LeafMaterial> {
  const keys = (await crypto.subtle.generateKey(EC_P256, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const notAfter = new Date(now + validityHours * 3600_000);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(16).toString("hex").replace(/^[89a-f]/, "1"),
    subject: [{ CN: [host] }],
    issuer: ca.cert.subject,
    notBefore: new Date(now - 2000),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ca.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: isIP(host) ? "ip" : "dns", value: host }]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certChainPem: cert.toString("pem") + "\n" + ca.certPem, keyPem: await privateKeyPem(keys.privateKey), notAfter };
}
