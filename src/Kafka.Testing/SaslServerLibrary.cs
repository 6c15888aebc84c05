namespace Kafka.Testing;

/// <summary>Which SASL implementation runs the server side of PLAIN, SCRAM and GSSAPI in a <see cref="SaslProxy"/>.</summary>
public enum SaslServerLibrary
{
    /// <summary>
    /// Cyrus SASL (Debian's <c>libsasl2-2</c> and its plug-ins): PLAIN, SCRAM-SHA-1/224/256/384/512 and GSSAPI. The
    /// default: it is the one with SCRAM-SHA-512.
    /// </summary>
    Cyrus,

    /// <summary>GNU SASL (Debian's <c>libgsasl18</c>): PLAIN, SCRAM-SHA-1 and SCRAM-SHA-256.</summary>
    Gnu,
}
