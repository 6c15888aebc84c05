using System.Globalization;
using Kafka.Client.Internal;
using Kafka.Client.Protocol;

namespace Kafka.Client.Admin;

public sealed partial class KafkaAdmin
{
    /// <summary>
    /// The configuration of topics and brokers (DescribeConfigs): topics from any broker, a broker's from that broker.
    /// Sensitive values are never sent by the brokers and read as null.
    /// </summary>
    /// <param name="resources">The topics and brokers.</param>
    /// <param name="includeSynonyms">Also ask for the values each entry overrides (shown by nothing here, but sent as asked).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One result per resource, in the order given.</returns>
    public async Task<IReadOnlyList<ConfigResourceResult>> DescribeConfigsAsync(
        IEnumerable<ConfigResource> resources, bool includeSynonyms = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var list = Distinct(resources.ToList(), r => r.ToString(), nameof(resources));
        var results = new Dictionary<ConfigResource, ConfigResourceResult>();
        await RetryItemsAsync(list, async (pending, token) =>
        {
            var retry = new List<ConfigResource>();
            var sends = RouteConfigs(pending).Select(async route =>
            {
                var request = new DescribeConfigsRequest
                {
                    Resources = [.. route.Items.Select(r => new DescribeConfigsResource((sbyte)r.Type, r.Name, null))],
                    IncludeSynonyms = includeSynonyms,
                };
                return (route.Items, Response: await route.Broker.SendAsync(ConnectionKind.General, request, token).ConfigureAwait(false));
            });
            foreach (var (items, response) in await Task.WhenAll(sends).ConfigureAwait(false))
            {
                foreach (var resource in items)
                {
                    var answer = response.Results.FirstOrDefault(r => r.ResourceType == (sbyte)resource.Type && r.ResourceName == resource.Name);
                    var code = answer?.ErrorCode ?? KafkaErrorCode.UnknownServerError;
                    var entries = code == KafkaErrorCode.None
                        ? answer!.Configs.Select(c => new ConfigEntry(c.Name, c.Value, (ConfigSource)c.ConfigSource, c.ReadOnly, c.IsSensitive)).ToArray()
                        : [];
                    results[resource] = new ConfigResourceResult(resource, entries,
                        ErrorOf(code, answer is null ? "the broker did not answer for it" : answer.ErrorMessage, $"Describing the configuration of {resource}"));
                    if (IsRetriableAdminError(code))
                    {
                        retry.Add(resource);
                    }
                }
            }
            return retry;
        }, _cluster.Settings.SocketTimeout, cancellationToken).ConfigureAwait(false);
        return [.. list.Select(r => results[r])];
    }

    /// <summary>
    /// Changes configuration entries of topics and brokers, leaving the others as they are (IncrementalAlterConfigs,
    /// Kafka 2.3+): topics through any broker, a broker's on that broker.
    /// </summary>
    /// <param name="changes">Each resource with its changes.</param>
    /// <param name="options">Validate-only and timeout; defaults when null.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One result per resource (without entries).</returns>
    public async Task<IReadOnlyList<ConfigResourceResult>> IncrementalAlterConfigsAsync(
        IReadOnlyDictionary<ConfigResource, IReadOnlyList<ConfigChange>> changes, AdminRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        options ??= Defaults;
        var list = Distinct(changes.Keys.ToList(), r => r.ToString(), nameof(changes));
        var results = new Dictionary<ConfigResource, ConfigResourceResult>();
        await RetryItemsAsync(list, async (pending, token) =>
        {
            var retry = new List<ConfigResource>();
            var sends = RouteConfigs(pending).Select(async route =>
            {
                var request = new IncrementalAlterConfigsRequest
                {
                    Resources = [.. route.Items.Select(r => new AlterConfigsResource((sbyte)r.Type, r.Name,
                        [.. changes[r].Select(c => new AlterableConfig(c.Name, (sbyte)c.Operation, c.Value))]))],
                    ValidateOnly = options.ValidateOnly,
                };
                return (route.Items, Response: await route.Broker.SendAsync(ConnectionKind.General, request, token).ConfigureAwait(false));
            });
            foreach (var (items, response) in await Task.WhenAll(sends).ConfigureAwait(false))
            {
                foreach (var resource in items)
                {
                    var answer = response.Responses.FirstOrDefault(r => r.ResourceType == (sbyte)resource.Type && r.ResourceName == resource.Name);
                    var code = answer?.ErrorCode ?? KafkaErrorCode.UnknownServerError;
                    results[resource] = new ConfigResourceResult(resource, [],
                        ErrorOf(code, answer is null ? "the broker did not answer for it" : answer.ErrorMessage, $"Changing the configuration of {resource}"));
                    if (IsRetriableAdminError(code))
                    {
                        retry.Add(resource);
                    }
                }
            }
            return retry;
        }, options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return [.. list.Select(r => results[r])];
    }

    /// <summary>Broker resources go to their broker; topics (and the cluster-wide broker default) to any one broker.</summary>
    private List<(Broker Broker, List<ConfigResource> Items)> RouteConfigs(IReadOnlyList<ConfigResource> resources)
    {
        var routes = new List<(Broker Broker, List<ConfigResource> Items)>();
        var any = new List<ConfigResource>();
        foreach (var resource in resources)
        {
            if (resource.Type is ConfigResourceType.Broker or ConfigResourceType.BrokerLogger
                && int.TryParse(resource.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                var broker = BrokerById(id);
                var route = routes.FindIndex(r => ReferenceEquals(r.Broker, broker));
                if (route < 0)
                {
                    routes.Add((broker, [resource]));
                }
                else
                {
                    routes[route].Items.Add(resource);
                }
            }
            else
            {
                any.Add(resource);
            }
        }
        if (any.Count > 0)
        {
            routes.Add((AnyBroker(), any));
        }
        return routes;
    }
}
