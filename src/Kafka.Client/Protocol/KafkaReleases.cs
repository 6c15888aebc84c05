namespace Kafka.Client.Protocol;

/// <summary>
/// What each Kafka release supports of the APIs this client uses, from 0.9.0 to 4.2: the table behind
/// <see cref="BrokerRelease"/> when the client's <c>BrokerVersion</c> names a release. It stands in for
/// ApiVersions where brokers cannot answer it (0.9) and caps the broker's answer otherwise.
/// </summary>
/// <remarks>
/// Releases newer than the last row use the last row; patch releases use their minor release's row (0.10.2.1 uses
/// 0.10.2, 3.7.1 uses 3.7). Releases 3.0–3.9 are the same in ZooKeeper and KRaft mode for these APIs. Minimum
/// versions are 0 before 4.0; from 4.0 they are the KIP-896 floor, including Produce v3, although 4.x brokers still
/// advertise Produce v0 (KAFKA-18659) while rejecting v0–v2.
/// </remarks>
internal static class KafkaReleases
{
    private const short Absent = -1;

    // The APIs the table covers, in column order. Others are never capped by a release.
    private static readonly ApiKey[] Columns =
    [
        ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.OffsetCommit, ApiKey.OffsetFetch,
        ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.SyncGroup,
        ApiKey.DescribeGroups, ApiKey.ListGroups, ApiKey.SaslHandshake, ApiKey.ApiVersions, ApiKey.CreateTopics,
        ApiKey.DeleteTopics, ApiKey.InitProducerId, ApiKey.SaslAuthenticate,
    ];

    // KIP-896 (4.0) removed old versions; 4.1 put JoinGroup v0 and v1 back (KAFKA-19444).
    private static readonly short[] Kip896Floor = [3, 4, 1, 0, 2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0];
    private static readonly short[] Kafka41Floor = [3, 4, 1, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0];

    // Highest version per column; Absent where the release lacks the API. Ascending by release.
    //                                        Prod Fetch LO  Meta OC  OF  FC  JG  HB  LG  SG  DG  LiG SHs AV  CT  DT IPID SAu
    private static readonly Row[] Rows =
    [
        new(new Version(0, 9, 0, 0), "0.9.0", [1, 1, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1]),
        new(new Version(0, 10, 0, 0), "0.10.0", [2, 2, 0, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1]),
        new(new Version(0, 10, 1, 0), "0.10.1", [2, 3, 1, 2, 2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1]),
        new(new Version(0, 10, 2, 0), "0.10.2", [2, 3, 1, 2, 2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, -1, -1]),
        new(new Version(0, 11, 0, 0), "0.11.0", [3, 5, 2, 4, 3, 3, 1, 2, 1, 1, 1, 1, 1, 0, 1, 2, 1, 0, -1]),
        new(new Version(1, 0, 0, 0), "1.0", [5, 6, 2, 5, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1, 2, 1, 0, 0]),
        new(new Version(1, 1, 0, 0), "1.1", [5, 7, 2, 5, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1, 2, 1, 0, 0]),
        new(new Version(2, 0, 0, 0), "2.0", [6, 8, 3, 6, 4, 4, 2, 3, 2, 2, 2, 2, 2, 1, 2, 3, 2, 1, 0]),
        new(new Version(2, 1, 0, 0), "2.1", [7, 10, 4, 7, 6, 5, 2, 3, 2, 2, 2, 2, 2, 1, 2, 3, 3, 1, 0]),
        new(new Version(2, 2, 0, 0), "2.2", [7, 10, 5, 7, 6, 5, 2, 4, 2, 2, 2, 2, 2, 1, 2, 3, 3, 1, 1]),
        new(new Version(2, 3, 0, 0), "2.3", [7, 11, 5, 8, 7, 5, 2, 5, 3, 2, 3, 3, 2, 1, 2, 3, 3, 1, 1]),
        new(new Version(2, 4, 0, 0), "2.4", [8, 11, 5, 9, 8, 6, 3, 6, 4, 4, 4, 5, 3, 1, 3, 5, 4, 2, 1]),
        new(new Version(2, 5, 0, 0), "2.5", [8, 11, 5, 9, 8, 7, 3, 7, 4, 4, 5, 5, 3, 1, 3, 5, 4, 3, 2]),
        new(new Version(2, 6, 0, 0), "2.6", [8, 11, 5, 9, 8, 7, 3, 7, 4, 4, 5, 5, 4, 1, 3, 5, 4, 3, 2]),
        new(new Version(2, 7, 0, 0), "2.7", [8, 12, 5, 9, 8, 7, 3, 7, 4, 4, 5, 5, 4, 1, 3, 6, 5, 4, 2]),
        new(new Version(2, 8, 0, 0), "2.8", [9, 12, 6, 11, 8, 7, 3, 7, 4, 4, 5, 5, 4, 1, 3, 7, 6, 4, 2]),
        new(new Version(3, 0, 0, 0), "3.0", [9, 12, 7, 11, 8, 8, 4, 7, 4, 4, 5, 5, 4, 1, 3, 7, 6, 4, 2]),
        new(new Version(3, 1, 0, 0), "3.1", [9, 13, 7, 12, 8, 8, 4, 7, 4, 4, 5, 5, 4, 1, 3, 7, 6, 4, 2]),
        new(new Version(3, 2, 0, 0), "3.2", [9, 13, 7, 12, 8, 8, 4, 9, 4, 5, 5, 5, 4, 1, 3, 7, 6, 4, 2]),
        new(new Version(3, 3, 0, 0), "3.3", [9, 13, 7, 12, 8, 8, 4, 9, 4, 5, 5, 5, 4, 1, 3, 7, 6, 4, 2]),
        new(new Version(3, 4, 0, 0), "3.4", [9, 13, 7, 12, 8, 8, 4, 9, 4, 5, 5, 5, 4, 1, 3, 7, 6, 4, 2]),
        new(new Version(3, 5, 0, 0), "3.5", [9, 15, 8, 12, 8, 8, 4, 9, 4, 5, 5, 5, 4, 1, 3, 7, 6, 4, 2]),
        new(new Version(3, 6, 0, 0), "3.6", [9, 15, 8, 12, 8, 8, 4, 9, 4, 5, 5, 5, 4, 1, 3, 7, 6, 4, 2]),
        new(new Version(3, 7, 0, 0), "3.7", [10, 16, 8, 12, 9, 9, 4, 9, 4, 5, 5, 5, 4, 1, 3, 7, 6, 4, 2]),
        new(new Version(3, 8, 0, 0), "3.8", [11, 16, 8, 12, 9, 9, 5, 9, 4, 5, 5, 5, 5, 1, 3, 7, 6, 5, 2]),
        new(new Version(3, 9, 0, 0), "3.9", [11, 17, 9, 12, 9, 9, 6, 9, 4, 5, 5, 5, 5, 1, 4, 7, 6, 5, 2]),
        new(new Version(4, 0, 0, 0), "4.0", [12, 17, 10, 13, 9, 9, 6, 9, 4, 5, 5, 6, 5, 1, 4, 7, 6, 5, 2], Kip896Floor),
        new(new Version(4, 1, 0, 0), "4.1", [13, 18, 10, 13, 9, 9, 6, 9, 4, 5, 5, 6, 5, 1, 4, 7, 6, 5, 2], Kafka41Floor),
        new(new Version(4, 2, 0, 0), "4.2", [13, 18, 11, 13, 10, 10, 6, 9, 4, 5, 5, 6, 5, 1, 4, 7, 6, 5, 2], Kafka41Floor),
    ];

    /// <summary>The APIs the table covers; a release caps only these.</summary>
    public static IReadOnlyList<ApiKey> CoveredApis => Columns;

    /// <summary>Whether the table knows <paramref name="key"/> (and so a release can cap or lack it).</summary>
    public static bool Covers(ApiKey key) => Array.IndexOf(Columns, key) >= 0;

    /// <summary>
    /// The release whose row describes <paramref name="release"/> (0.10.2 for 0.10.2.1, 4.2 for anything later),
    /// written as the table names it.
    /// </summary>
    public static string RowName(BrokerRelease release) => RowFor(release).Name;

    /// <summary>
    /// The versions <paramref name="release"/> supports of <paramref name="key"/>; false when the table covers the API
    /// and the release lacks it, or when the table does not cover the API.
    /// </summary>
    public static bool TryGetRange(BrokerRelease release, ApiKey key, out ApiVersionRange range)
    {
        ArgumentNullException.ThrowIfNull(release);
        var column = Array.IndexOf(Columns, key);
        var row = RowFor(release);
        if (column < 0 || row.Max[column] == Absent)
        {
            range = default;
            return false;
        }
        range = new ApiVersionRange(key, row.Min?[column] ?? 0, row.Max[column]);
        return true;
    }

    /// <summary>The table of <paramref name="release"/>, for brokers that cannot be asked (0.9).</summary>
    public static ApiVersionTable TableFor(BrokerRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        var ranges = new List<ApiVersionRange>(Columns.Length);
        foreach (var key in Columns)
        {
            if (TryGetRange(release, key, out var range))
            {
                ranges.Add(range);
            }
        }
        return new ApiVersionTable(ranges, $"Kafka {release}");
    }

    private static Row RowFor(BrokerRelease release)
    {
        // Releases below the first row are rejected when parsed, so the loop always finds one.
        for (var i = Rows.Length - 1; i > 0; i--)
        {
            if (release.Version >= Rows[i].Version)
            {
                return Rows[i];
            }
        }
        return Rows[0];
    }

    private sealed record Row(Version Version, string Name, short[] Max, short[]? Min = null);
}
