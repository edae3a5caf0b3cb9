// libpng reports errors by longjmp; every call into it happens here, under setjmp, so Swift only
// ever sees a return code and a message.
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CDeepGenCodecs.h"

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
    char *err;
    size_t err_len;
    // Heap state lives here, not in locals, so it is still valid after a longjmp.
    unsigned char *pixels;
    png_bytep *rows;
    unsigned char *out;
    size_t out_size;
    size_t out_capacity;
} png_ctx;

static void on_error(png_structp png, png_const_charp message) {
    png_ctx *ctx = (png_ctx *)png_get_error_ptr(png);
    snprintf(ctx->err, ctx->err_len, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void read_bytes(png_structp png, png_bytep dest, png_size_t count) {
    png_ctx *ctx = (png_ctx *)png_get_io_ptr(png);
    if (count > ctx->size - ctx->offset) {
        png_error(png, "unexpected end of file (truncated PNG)");
    }
    memcpy(dest, ctx->data + ctx->offset, count);
    ctx->offset += count;
}

int dg_png_decode(const unsigned char *data, size_t size, size_t max_samples, dg_image *out,
                  char *err, size_t err_len) {
    memset(out, 0, sizeof(*out));
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        snprintf(err, err_len, "not a PNG file (bad signature)");
        return -1;
    }
    png_ctx *ctx = calloc(1, sizeof(png_ctx));
    if (!ctx) { snprintf(err, err_len, "out of memory"); return -1; }
    ctx->data = data; ctx->size = size; ctx->err = err; ctx->err_len = err_len;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        snprintf(err, err_len, "cannot initialise libpng");
        if (png) png_destroy_read_struct(&png, NULL, NULL);
        free(ctx);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(ctx->rows);
        free(ctx->pixels);
        free(ctx);
        return -1;
    }
    png_set_read_fn(png, ctx, read_bytes);
    png_set_user_limits(png, 1u << 16, 1u << 16);
    png_read_info(png, info);

    int color_type = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) {
        const uint16_t probe = 1;
        if (*(const unsigned char *)&probe == 1) png_set_swap(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    int channels = png_get_channels(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    size_t samples = (size_t)width * (size_t)height * (size_t)channels;
    if (samples > max_samples) {
        snprintf(err, err_len, "image of %ux%u with %d channels is larger than the limit of %zu samples",
                 (unsigned)width, (unsigned)height, channels, max_samples);
        png_longjmp(png, 1);
    }
    if (bit_depth != 8 && bit_depth != 16) {
        snprintf(err, err_len, "unsupported bit depth %d after expansion", bit_depth);
        png_longjmp(png, 1);
    }
    ctx->pixels = malloc(row_bytes * height + 1);
    ctx->rows = malloc(sizeof(png_bytep) * height + 1);
    if (!ctx->pixels || !ctx->rows) {
        snprintf(err, err_len, "out of memory for a %ux%u image", (unsigned)width, (unsigned)height);
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < height; y++) ctx->rows[y] = ctx->pixels + y * row_bytes;
    png_read_image(png, ctx->rows);
    png_read_end(png, NULL);

    out->width = (int)width;
    out->height = (int)height;
    out->channels = channels;
    out->bit_depth = bit_depth;
    out->pixels = ctx->pixels;
    png_destroy_read_struct(&png, &info, NULL);
    free(ctx->rows);
    free(ctx);
    return 0;
}

static void write_bytes(png_structp png, png_bytep src, png_size_t count) {
    png_ctx *ctx = (png_ctx *)png_get_io_ptr(png);
    if (ctx->out_size + count > ctx->out_capacity) {
        size_t capacity = ctx->out_capacity ? ctx->out_capacity : 4096;
        while (capacity < ctx->out_size + count) capacity *= 2;
        unsigned char *grown = realloc(ctx->out, capacity);
        if (!grown) png_error(png, "out of memory while encoding PNG");
        ctx->out = grown;
        ctx->out_capacity = capacity;
    }
    memcpy(ctx->out + ctx->out_size, src, count);
    ctx->out_size += count;
}

static void flush_bytes(png_structp png) { (void)png; }

int dg_png_encode(const unsigned char *pixels, int width, int height, int channels,
                  unsigned char **out, size_t *out_size, char *err, size_t err_len) {
    *out = NULL;
    *out_size = 0;
    static const int types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || width < 1 || height < 1) {
        snprintf(err, err_len, "cannot encode %dx%d pixels with %d channels", width, height, channels);
        return -1;
    }
    png_ctx *ctx = calloc(1, sizeof(png_ctx));
    if (!ctx) { snprintf(err, err_len, "out of memory"); return -1; }
    ctx->err = err; ctx->err_len = err_len;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        snprintf(err, err_len, "cannot initialise libpng");
        if (png) png_destroy_write_struct(&png, NULL);
        free(ctx);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(ctx->rows);
        free(ctx->out);
        free(ctx);
        return -1;
    }
    png_set_write_fn(png, ctx, write_bytes, flush_bytes);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    ctx->rows = malloc(sizeof(png_bytep) * (size_t)height);
    if (!ctx->rows) png_error(png, "out of memory");
    for (int y = 0; y < height; y++) ctx->rows[y] = (png_bytep)(pixels + (size_t)y * (size_t)width * (size_t)channels);
    png_set_rows(png, info, ctx->rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    *out = ctx->out;
    *out_size = ctx->out_size;
    png_destroy_write_struct(&png, &info);
    free(ctx->rows);
    free(ctx);
    return 0;
}
