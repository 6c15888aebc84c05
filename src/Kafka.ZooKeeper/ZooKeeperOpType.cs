namespace Kafka.ZooKeeper;

/// <summary>The kinds of operation a <see cref="ZooKeeperClient.MultiAsync"/> transaction can hold.</summary>
public enum ZooKeeperOpType
{
    /// <summary>Create a node (<see cref="ZooKeeperOp.Create"/>).</summary>
    Create = 1,

    /// <summary>Delete a node (<see cref="ZooKeeperOp.Delete"/>).</summary>
    Delete = 2,

    /// <summary>Set a node's data (<see cref="ZooKeeperOp.SetData"/>).</summary>
    SetData = 5,

    /// <summary>Check a node's version (<see cref="ZooKeeperOp.Check"/>).</summary>
    Check = 13,
}
