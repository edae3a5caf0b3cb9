#ifndef CDEEPGENCODECS_H
#define CDEEPGENCODECS_H

#include <stddef.h>

/// A decoded image: interleaved samples, row-major, `bit_depth` 8 (uint8) or 16 (uint16, host order).
typedef struct {
    int width;
    int height;
    int channels;
    int bit_depth;
    void *pixels;
} dg_image;

/// Decodes a PNG held in memory. Returns 0 on success (free `out->pixels` with dg_free) or -1 with a
/// message in `err`. Palettes, gray below 8 bits and tRNS are expanded; 16-bit samples are kept.
/// Images with more than `max_samples` samples are refused before allocating.
int dg_png_decode(const unsigned char *data, size_t size, size_t max_samples, dg_image *out,
                  char *err, size_t err_len);

/// Encodes 8-bit gray (1), gray+alpha (2), RGB (3) or RGBA (4) pixels as PNG. On success `*out` holds
/// `*out_size` bytes to free with dg_free.
int dg_png_encode(const unsigned char *pixels, int width, int height, int channels,
                  unsigned char **out, size_t *out_size, char *err, size_t err_len);

/// Decodes a baseline or progressive JPEG to 8-bit gray (1 channel) or RGB (3 channels).
int dg_jpeg_decode(const unsigned char *data, size_t size, size_t max_samples, dg_image *out,
                   char *err, size_t err_len);

/// Encodes 8-bit gray (1) or RGB (3) pixels as JPEG with the given quality (1...100).
int dg_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                   unsigned char **out, size_t *out_size, char *err, size_t err_len);

/// Frees memory returned by the functions above.
void dg_free(void *pointer);

#endif
