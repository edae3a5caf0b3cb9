#ifndef CDEEPGENAUDIO_H
#define CDEEPGENAUDIO_H

// Audio files through libsndfile and resampling through libsamplerate, both loaded with dlopen
// on first use: DeepGen builds and runs without them, and only audio data needs them installed.
// Every function returns DG_AUDIO_OK or an error code with a message in `err` (libsndfile's or
// libsamplerate's own text, or which package to install). The environment variables
// DEEPGEN_LIBSNDFILE and DEEPGEN_LIBSAMPLERATE name the libraries' files where dlopen's search
// would not find them.

#include <stddef.h>

/// Result codes.
enum {
    DG_AUDIO_OK = 0,
    /// libsndfile (or libsamplerate, for resampling) could not be loaded.
    DG_AUDIO_NO_LIBRARY = 1,
    /// libsndfile refused to open the file or the bytes (unknown format, bad header, unreadable).
    DG_AUDIO_OPEN_FAILED = 2,
    /// Fewer frames could be decoded than the header promised (a truncated or corrupt stream).
    DG_AUDIO_SHORT_READ = 3,
    /// libsndfile could not encode the samples.
    DG_AUDIO_WRITE_FAILED = 4,
    /// libsamplerate refused the conversion (a ratio outside 1/256...256).
    DG_AUDIO_RESAMPLE_FAILED = 5,
    /// Out of memory, or a size that cannot be allocated.
    DG_AUDIO_NO_MEMORY = 6,
    /// An argument outside what the function accepts (no samples, a bad channel count).
    DG_AUDIO_BAD_ARGUMENT = 7,
};

/// Container and sample-encoding codes: libsndfile's own values (the build checks them against
/// <sndfile.h> where it is installed). A format is one container ORed with one encoding.
enum {
    DG_AUDIO_CONTAINER_WAV = 0x010000,
    DG_AUDIO_CONTAINER_AIFF = 0x020000,
    DG_AUDIO_CONTAINER_AU = 0x030000,
    DG_AUDIO_CONTAINER_FLAC = 0x170000,
    DG_AUDIO_CONTAINER_OGG = 0x200000,
    DG_AUDIO_CONTAINER_MASK = 0x0FFF0000,

    DG_AUDIO_ENCODING_PCM_S8 = 0x0001,
    DG_AUDIO_ENCODING_PCM_16 = 0x0002,
    DG_AUDIO_ENCODING_PCM_24 = 0x0003,
    DG_AUDIO_ENCODING_PCM_32 = 0x0004,
    DG_AUDIO_ENCODING_PCM_U8 = 0x0005,
    DG_AUDIO_ENCODING_FLOAT = 0x0006,
    DG_AUDIO_ENCODING_DOUBLE = 0x0007,
    DG_AUDIO_ENCODING_VORBIS = 0x0060,
    DG_AUDIO_ENCODING_MASK = 0x0000FFFF,
};

/// What a decoded file holds.
typedef struct {
    long long frames;
    int channels;
    int sample_rate;
    /// libsndfile's format code: container | encoding.
    int format;
} dg_audio_info;

/// Whether libsndfile can be loaded: DG_AUDIO_OK, or DG_AUDIO_NO_LIBRARY with the message.
int dg_audio_sndfile_status(char *err, size_t err_len);

/// Whether libsamplerate can be loaded: DG_AUDIO_OK, or DG_AUDIO_NO_LIBRARY with the message.
int dg_audio_samplerate_status(char *err, size_t err_len);

/// Decodes a whole audio file into interleaved floats (integer encodings scaled to [-1, 1)).
/// On success `*samples` holds `info->frames * info->channels` floats to free with dg_audio_free.
/// On DG_AUDIO_SHORT_READ `info` still describes the file and `*samples` is NULL.
int dg_audio_read(const char *path, float **samples, dg_audio_info *info, char *err, size_t err_len);

/// Encodes `frames` frames of interleaved floats as a file of `format` (container | encoding) in
/// memory. Values outside [-1, 1] are clipped, not wrapped, by integer encodings. On success
/// `*out` holds `*out_size` bytes to free with dg_audio_free.
int dg_audio_encode(const float *samples, long long frames, int channels, int sample_rate, int format,
                    unsigned char **out, size_t *out_size, char *err, size_t err_len);

/// Resamples `frames` mono samples by `ratio` (output rate / input rate) with libsamplerate's best
/// sinc converter. On success `*out` holds `*out_frames` floats (about frames * ratio) to free
/// with dg_audio_free.
int dg_audio_resample(const float *samples, long long frames, double ratio,
                      float **out, long long *out_frames, char *err, size_t err_len);

/// Frees memory returned by the functions above.
void dg_audio_free(void *pointer);

#endif
