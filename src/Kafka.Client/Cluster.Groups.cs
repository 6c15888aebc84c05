using Kafka.Client.Admin;

namespace Kafka.Client;

public sealed partial class Cluster
{
    /// <summary>
    /// Every consumer group Kafka manages, described by its coordinator (pykafka's
    /// <c>get_managed_group_descriptions()</c>): <see cref="KafkaAdmin.ListGroupsAsync"/> on every broker, then
    /// <see cref="KafkaAdmin.DescribeGroupsAsync"/> for the groups of protocol type <c>consumer</c>.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The descriptions by group id.</returns>
    public async Task<IReadOnlyDictionary<string, GroupDescription>> GetManagedGroupDescriptionsAsync(CancellationToken cancellationToken = default)
    {
        var admin = new KafkaAdmin(this);
        var groups = await admin.ListGroupsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var managed = groups.Where(g => g.ProtocolType == "consumer").Select(g => g.GroupId).ToList();
        if (managed.Count == 0)
        {
            return new Dictionary<string, GroupDescription>();
        }
        var descriptions = await admin.DescribeGroupsAsync(managed, cancellationToken).ConfigureAwait(false);
        return descriptions.ToDictionary(d => d.GroupId, StringComparer.Ordinal);
    }
}
