#ifndef CDEEPGENAUDIO_BINDINGS_H
#define CDEEPGENAUDIO_BINDINGS_H

// The parts of libsndfile's and libsamplerate's C interfaces DeepGen calls, declared under our
// own names so the target compiles without their headers. Bindings.c checks every layout and
// constant against the real headers wherever those are installed.

#include <stddef.h>
#include <stdint.h>

typedef int64_t dg_sf_count_t;

/// libsndfile's SF_INFO.
typedef struct {
    dg_sf_count_t frames;
    int samplerate;
    int channels;
    int format;
    int sections;
    int seekable;
} dg_sf_info;

/// libsndfile's SF_VIRTUAL_IO: callbacks standing in for a file.
typedef struct {
    dg_sf_count_t (*get_filelen)(void *user_data);
    dg_sf_count_t (*seek)(dg_sf_count_t offset, int whence, void *user_data);
    dg_sf_count_t (*read)(void *ptr, dg_sf_count_t count, void *user_data);
    dg_sf_count_t (*write)(const void *ptr, dg_sf_count_t count, void *user_data);
    dg_sf_count_t (*tell)(void *user_data);
} dg_sf_virtual_io;

/// An open SNDFILE (opaque).
typedef struct dg_sndfile dg_sndfile;

enum {
    DG_SFM_READ = 0x10,
    DG_SFM_WRITE = 0x20,
    DG_SFC_GET_LOG_INFO = 0x1001,
    DG_SFC_SET_CLIPPING = 0x10C0,
    DG_SF_TRUE = 1,
};

/// libsamplerate's SRC_DATA.
typedef struct {
    const float *data_in;
    float *data_out;
    long input_frames, output_frames;
    long input_frames_used, output_frames_gen;
    int end_of_input;
    double src_ratio;
} dg_src_data;

enum { DG_SRC_SINC_BEST_QUALITY = 0 };

/// The libsndfile functions DeepGen calls, resolved by dlsym.
typedef struct {
    dg_sndfile *(*open)(const char *path, int mode, dg_sf_info *info);
    dg_sndfile *(*open_virtual)(dg_sf_virtual_io *io, int mode, dg_sf_info *info, void *user_data);
    dg_sf_count_t (*readf_float)(dg_sndfile *file, float *ptr, dg_sf_count_t frames);
    dg_sf_count_t (*writef_float)(dg_sndfile *file, const float *ptr, dg_sf_count_t frames);
    int (*command)(dg_sndfile *file, int command, void *data, int datasize);
    const char *(*strerror)(dg_sndfile *file);
    int (*close)(dg_sndfile *file);
} dg_sndfile_api;

/// The libsamplerate functions DeepGen calls, resolved by dlsym.
typedef struct {
    int (*simple)(dg_src_data *data, int converter_type, int channels);
    const char *(*strerror)(int error);
} dg_samplerate_api;

/// libsndfile's functions, loading the library on first use (thread-safe); NULL when it cannot
/// be loaded, with the reason in `err`.
const dg_sndfile_api *dg_load_sndfile(char *err, size_t err_len);

/// libsamplerate's functions, as dg_sndfile.
const dg_samplerate_api *dg_load_samplerate(char *err, size_t err_len);

/// Serialises libsndfile opens: the reason an open failed is one global that sf_strerror(NULL)
/// reads back, so parallel loaders must hold this from the open to reading the message.
void dg_sndfile_lock(void);
void dg_sndfile_unlock(void);

/// Copies `message` into `err` (truncating, always terminated).
void dg_audio_set_error(char *err, size_t err_len, const char *message);

#endif
