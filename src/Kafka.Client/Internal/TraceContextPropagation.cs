using System.Diagnostics;
using System.Text;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Internal;

/// <summary>
/// Carries a span's context in record headers through <see cref="DistributedContextPropagator.Current"/> (W3C
/// <c>traceparent</c>/<c>tracestate</c> and <c>baggage</c> by default; whatever the application installed otherwise),
/// so the library takes no OpenTelemetry dependency. Only called when there is a context to carry.
/// </summary>
internal static class TraceContextPropagation
{
    /// <summary>
    /// The message's headers with <paramref name="activity"/>'s context added; a header the caller set under the same
    /// name wins (its value is kept and the propagator's dropped).
    /// </summary>
    public static KafkaHeader[] Inject(Activity activity, ReadOnlySpan<KafkaHeader> headers)
    {
        var carrier = new InjectCarrier(headers.Length + 3);
        foreach (var header in headers)
        {
            carrier.Headers.Add(header);
        }
        carrier.UserCount = headers.Length;
        DistributedContextPropagator.Current.Inject(activity, carrier, static (state, name, value) =>
        {
            if (state is InjectCarrier c && value is not null && !c.HasUserHeader(name))
            {
                c.Headers.Add(new KafkaHeader(name, Encoding.UTF8.GetBytes(value)));
            }
        });
        return [.. carrier.Headers];
    }

    /// <summary>The context a producer put in <paramref name="headers"/>, or default when none (or none valid).</summary>
    public static ActivityContext Extract(RecordHeaders headers, out IEnumerable<KeyValuePair<string, string?>>? baggage)
    {
        baggage = null;
        if (headers.Count == 0)
        {
            return default;
        }
        object carrier = headers;
        var propagator = DistributedContextPropagator.Current;
        propagator.ExtractTraceIdAndState(carrier, GetHeader, out var traceParent, out var traceState);
        baggage = propagator.ExtractBaggage(carrier, GetHeader);
        return traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }

    /// <summary>As <see cref="Extract(RecordHeaders, out IEnumerable{KeyValuePair{string, string}}?)"/> for headers already decoded.</summary>
    public static ActivityContext Extract(IReadOnlyList<KafkaHeader> headers, out IEnumerable<KeyValuePair<string, string?>>? baggage)
    {
        baggage = null;
        if (headers.Count == 0)
        {
            return default;
        }
        var propagator = DistributedContextPropagator.Current;
        propagator.ExtractTraceIdAndState(headers, GetHeader, out var traceParent, out var traceState);
        baggage = propagator.ExtractBaggage(headers, GetHeader);
        return traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }

    private static void GetHeader(object? carrier, string fieldName, out string? fieldValue, out IEnumerable<string>? fieldValues)
    {
        fieldValues = null;
        fieldValue = null;
        switch (carrier)
        {
            case RecordHeaders raw:
                foreach (var header in raw)
                {
                    if (!header.IsNull && Ascii.Equals(header.Key.Span, fieldName))
                    {
                        fieldValue = Encoding.UTF8.GetString(header.Value.Span);
                        return;
                    }
                }
                break;
            case IReadOnlyList<KafkaHeader> list:
                foreach (var header in list)
                {
                    if (!header.IsNull && string.Equals(header.Key, fieldName, StringComparison.Ordinal))
                    {
                        fieldValue = Encoding.UTF8.GetString(header.Value.Span);
                        return;
                    }
                }
                break;
        }
    }

    private sealed class InjectCarrier(int capacity)
    {
        public List<KafkaHeader> Headers { get; } = new(capacity);

        public int UserCount { get; set; }

        public bool HasUserHeader(string name)
        {
            for (var i = 0; i < UserCount; i++)
            {
                if (string.Equals(Headers[i].Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            return false;
        }
    }
}
