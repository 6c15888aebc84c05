using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kafka.Client.Internal;

/// <summary>
/// Reads the PEM files of <see cref="SslConfig"/>. Each problem is added to a list, prefixed with the option's
/// configuration key (<c>Ssl:KeyFile</c>), so that one pass reports all of them. No message ever holds the password.
/// </summary>
internal static class PemFiles
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    /// <summary>The whole file as text, or null with an error naming <paramref name="key"/> and the full path.</summary>
    public static string? ReadText(string key, string path, List<string> errors)
    {
        var fullPath = FullPath(path);
        try
        {
            return File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            errors.Add($"{key}: the file '{fullPath}' does not exist.");
        }
        catch (UnauthorizedAccessException)
        {
            errors.Add($"{key}: the file '{fullPath}' cannot be read (access denied, or it is a directory).");
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or ArgumentException)
        {
            errors.Add($"{key}: the file '{fullPath}' cannot be read: {ex.Message}");
        }
        return null;
    }

    /// <summary>Every certificate in the text, in file order; null with an error when there is none or one is damaged.</summary>
    public static X509Certificate2Collection? ReadCertificates(string key, string path, string text, List<string> errors)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(text);
        }
        catch (CryptographicException ex)
        {
            errors.Add($"{key}: '{FullPath(path)}' holds a CERTIFICATE block that is not a valid X.509 certificate: {ex.Message}");
            return null;
        }
        if (certificates.Count == 0)
        {
            errors.Add($"{key}: '{FullPath(path)}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
            return null;
        }
        return certificates;
    }

    /// <summary>Whether the text holds a private key block of any kind this reader knows.</summary>
    public static bool HasPrivateKey(string text) => FindKey(text) is not null || IsLegacyEncrypted(text);

    /// <summary>
    /// The certificate joined with the private key found in <paramref name="keyText"/>, or null with an error:
    /// no key, an encrypted key without password or with a wrong one, a key of another certificate.
    /// </summary>
    public static X509Certificate2? Pair(
        X509Certificate2 certificate, string certKey, string certPath,
        string keyText, string keyKey, string keyPath,
        string? password, string passwordKey, List<string> errors)
    {
        var keyFullPath = FullPath(keyPath);
        if (FindKey(keyText) is not { } block)
        {
            errors.Add(IsLegacyEncrypted(keyText)
                ? $"{keyKey}: '{keyFullPath}' holds a key encrypted in the legacy OpenSSL format (Proc-Type: 4,ENCRYPTED), which .NET cannot read; convert it to PKCS#8 with 'openssl pkcs8 -topk8 -in old.key -out new.key'."
                : $"{keyKey}: '{keyFullPath}' holds no PEM private key (PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY).");
            return null;
        }
        var (label, der) = block;
        if (label == "ENCRYPTED PRIVATE KEY" && string.IsNullOrEmpty(password))
        {
            errors.Add($"{passwordKey}: the private key in '{keyFullPath}' is encrypted and no password is set.");
            return null;
        }

        var algorithm = certificate.GetKeyAlgorithm();
        if (algorithm is not (RsaOid or EcOid))
        {
            errors.Add($"{certKey}: the certificate in '{FullPath(certPath)}' has a key of algorithm {algorithm}; only RSA and ECDSA keys are supported.");
            return null;
        }
        using var key = ImportKey(label, der, password, algorithm == RsaOid);
        if (key is null)
        {
            using var other = ImportKey(label, der, password, algorithm != RsaOid);
            errors.Add(other is not null
                ? MismatchError(keyKey, keyFullPath, certPath)
                : label == "ENCRYPTED PRIVATE KEY"
                    ? $"{passwordKey}: does not decrypt the private key in '{keyFullPath}' (wrong password, or a damaged key)."
                    : $"{keyKey}: the {label} block in '{keyFullPath}' is not a valid private key.");
            return null;
        }
        try
        {
            return key switch
            {
                RSA rsa => certificate.CopyWithPrivateKey(rsa),
                ECDsa ecdsa => certificate.CopyWithPrivateKey(ecdsa),
                _ => null,
            };
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            // CopyWithPrivateKey refuses a key whose public half is not the certificate's.
            errors.Add(MismatchError(keyKey, keyFullPath, certPath));
            return null;
        }
    }

    private static string MismatchError(string keyKey, string keyFullPath, string certPath) =>
        $"{keyKey}: the private key in '{keyFullPath}' does not belong to the certificate in '{FullPath(certPath)}'.";

    /// <summary>The first private key block: its label and DER bytes.</summary>
    private static (string Label, byte[] Der)? FindKey(string text)
    {
        var rest = text.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            var label = rest.Span[fields.Label].ToString();
            if (label is "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY" or "RSA PRIVATE KEY" or "EC PRIVATE KEY")
            {
                var der = new byte[fields.DecodedDataLength];
                if (Convert.TryFromBase64Chars(rest.Span[fields.Base64Data], der, out var written))
                {
                    return (label, der[..written]);
                }
            }
            rest = rest[fields.Location.End..];
        }
        return null;
    }

    private static bool IsLegacyEncrypted(string text) => text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal);

    /// <summary>The key as RSA or ECDSA, or null when it is not a key of that algorithm (or does not decrypt).</summary>
    private static AsymmetricAlgorithm? ImportKey(string label, byte[] der, string? password, bool rsa)
    {
        AsymmetricAlgorithm key = rsa ? RSA.Create() : ECDsa.Create();
        try
        {
            switch (label)
            {
                case "PRIVATE KEY":
                    key.ImportPkcs8PrivateKey(der, out _);
                    break;
                case "ENCRYPTED PRIVATE KEY":
                    key.ImportEncryptedPkcs8PrivateKey(password.AsSpan(), der, out _);
                    break;
                case "RSA PRIVATE KEY" when key is RSA r:
                    r.ImportRSAPrivateKey(der, out _);
                    break;
                case "EC PRIVATE KEY" when key is ECDsa e:
                    e.ImportECPrivateKey(der, out _);
                    break;
                default:
                    key.Dispose();
                    return null;
            }
            return key;
        }
        catch (CryptographicException)
        {
            key.Dispose();
            return null;
        }
    }

    private static string FullPath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return path;
        }
    }
}
