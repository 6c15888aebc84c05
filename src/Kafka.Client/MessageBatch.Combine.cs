using System.Buffers;
using Kafka.Client.Internal.Consuming;

namespace Kafka.Client;

public sealed partial class MessageBatch
{
    /// <summary>
    /// A retained batch holding the messages of <paramref name="batches"/> one batch after another, without copying
    /// their bytes: for a caller that collects messages of several consume calls (a partition's runs, say) into one
    /// batch. Like <see cref="Retain(int, int)"/>, it holds the fetched buffers until it is disposed and costs one
    /// object and one pooled array, nothing per message. The batches given are left as they are: dispose the retained
    /// ones separately when they are no longer needed.
    /// </summary>
    /// <param name="batches">The batches, retained or still valid consumer batches, in the order their messages are wanted.</param>
    /// <returns>A retained batch (see <see cref="IsRetained"/>).</returns>
    /// <exception cref="ArgumentNullException">A batch is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">A batch's buffers were already given back.</exception>
    public static MessageBatch Combine(params ReadOnlySpan<MessageBatch> batches)
    {
        var total = 0;
        foreach (var batch in batches)
        {
            ArgumentNullException.ThrowIfNull(batch, nameof(batches));
            ObjectDisposedException.ThrowIf(batch.IsRetained && batch._entries.Length == 0, batch);
            total += batch._count;
        }
        var entries = ArrayPool<Entry>.Shared.Rent(Math.Max(total, 1));
        FetchChunk? held = null; // one reference per run of messages sharing a chunk, across batch boundaries too
        var taken = 0;
        try
        {
            foreach (var batch in batches)
            {
                for (var i = 0; i < batch._count; i++)
                {
                    ref readonly var entry = ref batch._entries[i];
                    if (!ReferenceEquals(entry.Lease, held))
                    {
                        if (!entry.Lease.Retain())
                        {
                            throw new ObjectDisposedException(nameof(MessageBatch),
                                $"The bytes of message {entry.Topic}/{entry.PartitionId}@{entry.Record.Offset} were already given back: combine batches before they are disposed or consumed past.");
                        }
                        held = entry.Lease;
                    }
                    entries[taken++] = entry;
                }
            }
        }
        catch
        {
            ReleaseLeases(entries, taken);
            Array.Clear(entries, 0, taken);
            ArrayPool<Entry>.Shared.Return(entries);
            throw;
        }
        return new MessageBatch(entries, total);
    }
}
