/// Where and how to find the data a run names (`--data` and its companions); recorded in
/// `config.json` and in every checkpoint.
public struct DataOptions: Codable, Equatable, Sendable {
    /// The dataset as given on the command line: `shapes`, `fashion-mnist:sneaker`, `ring8`,
    /// `folder:PATH`, … (`deepgen list` shows them).
    public var spec: String
    /// The folder of IDX files for MNIST-format sets other than Fashion-MNIST, or of Fashion-MNIST
    /// when it is not where Debian's package puts it.
    public var directory: String?
    /// Side length images from folders are resized and cropped to.
    public var imageSize: Int
    /// Samples drawn for the procedural and 2-D datasets.
    public var syntheticCount: Int
    /// The rate audio is resampled to (`nil`: 8 kHz); optional so that configurations written
    /// before audio data still decode.
    public var sampleRate: Int?
    /// `audio:PATH`: a regular expression with one capture group, the label, searched in each
    /// file's path relative to its folder (`nil`: no labels).
    public var labelPattern: String?

    public init(spec: String, directory: String? = nil, imageSize: Int = 64, syntheticCount: Int = 60_000,
                sampleRate: Int? = nil, labelPattern: String? = nil) {
        self.spec = spec
        self.directory = directory
        self.imageSize = imageSize
        self.syntheticCount = syntheticCount
        self.sampleRate = sampleRate
        self.labelPattern = labelPattern
    }
}
