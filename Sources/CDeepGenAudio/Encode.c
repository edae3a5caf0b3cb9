#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "Bindings.h"
#include "CDeepGenAudio.h"

/// A growable in-memory file for libsndfile's virtual I/O: it writes the header, the samples,
/// then seeks back to patch the header's sizes.
typedef struct {
    unsigned char *bytes;
    size_t size, capacity, position;
    int out_of_memory;
} memory_file;

static dg_sf_count_t memory_length(void *user) { return (dg_sf_count_t)((memory_file *)user)->size; }

static dg_sf_count_t memory_seek(dg_sf_count_t offset, int whence, void *user) {
    memory_file *m = user;
    dg_sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (dg_sf_count_t)m->position : (dg_sf_count_t)m->size;
    if (base + offset < 0) return -1;
    m->position = (size_t)(base + offset);
    return (dg_sf_count_t)m->position;
}

static dg_sf_count_t memory_read(void *ptr, dg_sf_count_t count, void *user) {
    memory_file *m = user;
    if (count <= 0 || m->position >= m->size) return 0;
    size_t n = m->size - m->position < (size_t)count ? m->size - m->position : (size_t)count;
    memcpy(ptr, m->bytes + m->position, n);
    m->position += n;
    return (dg_sf_count_t)n;
}

static dg_sf_count_t memory_write(const void *ptr, dg_sf_count_t count, void *user) {
    memory_file *m = user;
    if (count <= 0) return 0;
    size_t end = m->position + (size_t)count;
    if (end > m->capacity) {
        size_t grown = m->capacity < 4096 ? 4096 : m->capacity;
        while (grown < end) grown *= 2;
        unsigned char *bigger = realloc(m->bytes, grown);
        if (bigger == NULL) { m->out_of_memory = 1; return 0; }
        m->bytes = bigger;
        m->capacity = grown;
    }
    // A seek past the end leaves a gap, which reads as zeros as in a real file.
    if (m->position > m->size) memset(m->bytes + m->size, 0, m->position - m->size);
    memcpy(m->bytes + m->position, ptr, (size_t)count);
    m->position = end;
    if (end > m->size) m->size = end;
    return count;
}

static dg_sf_count_t memory_tell(void *user) { return (dg_sf_count_t)((memory_file *)user)->position; }

int dg_audio_encode(const float *samples, long long frames, int channels, int sample_rate, int format,
                    unsigned char **out, size_t *out_size, char *err, size_t err_len) {
    *out = NULL;
    *out_size = 0;
    if (frames < 0 || channels <= 0 || sample_rate <= 0 || (frames > 0 && samples == NULL)) {
        snprintf(err, err_len, "cannot encode %lld frames of %d channels at %d Hz", frames, channels, sample_rate);
        return DG_AUDIO_BAD_ARGUMENT;
    }
    const dg_sndfile_api *sf = dg_load_sndfile(err, err_len);
    if (sf == NULL) return DG_AUDIO_NO_LIBRARY;

    memory_file memory = {0};
    dg_sf_virtual_io io = {memory_length, memory_seek, memory_read, memory_write, memory_tell};
    dg_sf_info info = {0};
    info.samplerate = sample_rate;
    info.channels = channels;
    info.format = format;
    dg_sndfile_lock();
    dg_sndfile *file = sf->open_virtual(&io, DG_SFM_WRITE, &info, &memory);
    if (file == NULL) dg_audio_set_error(err, err_len, sf->strerror(NULL));
    dg_sndfile_unlock();
    if (file == NULL) {
        free(memory.bytes);
        return DG_AUDIO_WRITE_FAILED;
    }
    // Integer encodings clip out-of-range floats instead of letting them wrap around.
    sf->command(file, DG_SFC_SET_CLIPPING, NULL, DG_SF_TRUE);
    dg_sf_count_t written = frames > 0 ? sf->writef_float(file, samples, frames) : 0;
    char reason[256];
    dg_audio_set_error(reason, sizeof reason, sf->strerror(file));
    int closed = sf->close(file);
    if (written != frames || closed != 0 || memory.out_of_memory) {
        if (memory.out_of_memory) snprintf(err, err_len, "out of memory encoding %lld frames", frames);
        else snprintf(err, err_len, "wrote %lld of %lld frames (%s)", (long long)written, frames, reason);
        free(memory.bytes);
        return memory.out_of_memory ? DG_AUDIO_NO_MEMORY : DG_AUDIO_WRITE_FAILED;
    }
    *out = memory.bytes;
    *out_size = memory.size;
    return DG_AUDIO_OK;
}
