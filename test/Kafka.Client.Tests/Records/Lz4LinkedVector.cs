namespace Kafka.Client.Tests.Records;

/// <summary>
/// A frame written by the lz4 command-line tool (lz4 -BD -BX -B4, Debian's lz4 1.9.4) from
/// <see cref="RecordTestData.LinkedBlockInput"/>: linked 64 KiB blocks with block and content checksums.
/// </summary>
internal static class Lz4LinkedVector
{
    public const string Hex =
        "04224d185440ae060500001f000100ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe8f0fffffff4dc0465aa1fad1d" +
        "5adae5ac1b1e5f1370796cfd10ff19af601d04acb41d022b4678733af2df5faeb70859d1ee3910cb4895b5cc892911ff06b6622edf3cf935" +
        "fd4b9428ca097c44b3025e965fb3ea6dacd42d816e69afe0e6874c9c04e7d2365d2c60c9eaf479f686a0eb9326e46212d50dcbb377156a6a" +
        "3a68ba8edb7408469ef3ceb30af8d0dd68bbf85ffa24f2d2fc1887fb5c87bab43832a59b1b3d107cf778d67fe26df81191297e9395cb12c5" +
        "57ce5af1d41618d719bc045b7e9965f1a29471c42aac6aa938c475c7ad3238021f053b2c991afceb15decf68bae07cbcd61e971b9a0b9dbe" +
        "9763d392fcafdfa28c97234562ebdd076570ff58896acff7caee3f1ce9e40a68e5de938d389c7dbdd75b09d4e7e233443f4a8cc4a190d6b8" +
        "b8dc615fd18e28be590eaa501b508a6a3629e670df5577badc446d43bba90817d6c0f67b086170d92dc912725b247ec2e2dab1b2049e2080" +
        "74379a6f900cdd2e5e72f50948b658d197e9c38cb16ed3dd124462320c14a7af3ffa0cded613ce1386cb57a047e45bbed145b436d588fed2" +
        "0041f287b10f835f7465ba28461652df88a213d9bf42efb711b5de077fc979bae3a8584aa9e82da84d509de6986be2a99acf214c662a8cd5" +
        "901137986789bbadf3518d13adf51ca10194acb0846cf58af52a7a91f5f3ab2f8632ba8145203dc36714887a7590c863c707e01ec270039a" +
        "d18b163f24f6c3de2bef5d5ad1e6761379ca4216b910aa05d98330c70acf85f066cbecefac894cfab71f18bac334dfb6604ab28032cd39a1" +
        "6edf944414e1f3a6ecc1f4394306c09b629de33ad361efc3536bd04f961fee4dbdf3052d97fec4d19b4527b4a2c494d8643eb871b9c41f53" +
        "8b08951c9e5f4021ff977a1a4d7f708cab2f7cfa801b42caf5db8cf92cb8e67e41f6f97f01e4a8366da4eca2edba70ed5457eba097634189" +
        "4d4d5968e692bc5cab0ef31079069da53df1525d2e093b0dce966d419ef50a2ca46b16569dac1a0402297b66bd1d9783a856a5e5cac34904" +
        "50c2fa734d2814cc310dbc5d0b5c788f7e1e8a1a85810febe6abdcd0774114e914b589cf5c53d8812e0b4313e6fc4c1557c517c4888a7df3" +
        "2fc8efb7efd911d5504612ec82d0cd62d13da110e8e311adc6f61afb809158b3bb85d731e8e5bae03e4e8e6379f76b89547cd0eec76a3c70" +
        "00898c5823ed1845c2bb8cd81bbc862114a3f4ccf71e2b0bed9fc8433ce74776405765732bf635bf7c41044240b6eeb10c1f3dbfb69f8503" +
        "d67d80a7ffb4aad6bd369ce34e04293a21ef3a07102b69a85c9960d36cd1f08745f1f0b4c827dca9af002941466f69cde99d23c04174701d" +
        "3de956a1d20ce4b073d011004f9b55074e8c0525c9906f920b24b9058ce77a29e7e715c1a1a8da9598f3db244c658e08d1b3272790beb39e" +
        "c15af46ea9de00e4931c68bc780d0000000f0004ffffffeb50a9de00e49379182159000000009635f95c";
}
