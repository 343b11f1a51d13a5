/* m0nn: integer-only int8 neural-network layers for Cortex-M0/M0+.
 *
 * Semantics follow TFLite Micro's reference int8 kernels and CMSIS-NN: real value
 * r = scale * (q - zero_point), symmetric int8 weights (zero point 0), int32 bias
 * with scale input_scale * weight_scale and zero point 0. The requantization
 * constants (multiplier and shift) are computed on the host by the m0nn Python
 * package; this library only consumes them. No float, no division, no malloc.
 */
#ifndef M0NN_H
#define M0NN_H

#include <stdint.h>

/* The version of this library, equal to the m0nn package's (major * 10000 + minor * 100
 * + patch). Every generated header checks it: headers and library come from one m0nn. */
#define M0NN_VERSION 205
#define M0NN_VERSION_STRING "0.2.5"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    M0NN_OK = 0,
    M0NN_ERR_NULL = -1,   /* a required pointer is NULL */
    M0NN_ERR_SIZE = -2,   /* a size is out of range or sizes do not chain */
    M0NN_ERR_OFFSET = -3, /* a zero point or the activation range is out of range */
    M0NN_ERR_QUANT = -4,  /* a multiplier, shift or requantization mode is out of range */
    M0NN_ERR_ALIGN = -5   /* blocked weights are not 4-byte aligned */
} m0nn_status_t;

/* How an int32 accumulator becomes an int8 output, before the output offset.
 *
 * M0NN_REQUANT_Q31: TFLite's MultiplyByQuantizedMultiplier(acc, M, shift):
 *   left = max(shift, 0), right = max(-shift, 0);
 *   h = floor((acc * 2^left * M + 2^30) / 2^31)     (rounding doubling high multiply)
 *   y = h / 2^right rounded half away from zero.
 *   Legal: M in [0, 2^31 - 1], shift in [-31, 30], acc * 2^left within int32.
 *   Uses the one 64-bit multiply of the library (m0nn_requantize_q31); the
 *   _q31_split kernels compute the same from 16-bit products (no 64-bit multiply).
 * M0NN_REQUANT_MUL32: a single 32-bit multiply:
 *   y = floor((acc * M + 2^(right - 1)) / 2^right) with right = -shift: round
 *   half up. Legal: M in [0, 2^31 - 1], shift in [-31, -1], and
 *   |acc| * M + 2^(right - 1) < 2^31 for every reachable acc (the generator
 *   proves this from the weights and bias before choosing it).
 * M0NN_REQUANT_SHIFT: a power-of-two scale, no multiply at all:
 *   y = floor((acc + 2^(right - 1)) / 2^right) with right = -shift: round half up.
 *   The multiplier is not read (may be NULL). Legal: shift in [-31, 0] and
 *   |acc| + 2^(right - 1) < 2^31 (proven by the generator).
 */
typedef enum { M0NN_REQUANT_Q31 = 0, M0NN_REQUANT_MUL32 = 1, M0NN_REQUANT_SHIFT = 2 } m0nn_requant_t;

/* One fully connected layer: output[o] = clamp(requant(acc[o]) + output_offset),
 *   acc[o] = bias[o] + sum_i (input[i] + input_offset) * (weights[o * in_size + i] - wzp[o]),
 * wzp the weight zero point (0 when weight_zero_point is NULL).
 *
 * in_size        [1, 65535]: elements of the input vector.
 * out_size       [1, 65535]: elements of the output vector.
 * input_offset   [-127, 128]: minus the input zero point (CMSIS-NN convention).
 * output_offset  [-128, 255]: the output zero point.
 * act_min/max    act_min <= act_max, both within [-128, 127] (int8 output) or
 *                both within [0, 255] (offset-binary output: the byte holds
 *                q + 128 as uint8, what a blocked layer reads; the generator
 *                adds 128 to output_offset, act_min and act_max). The clamp; a
 *                fused ReLU is act_min = output zero point.
 * weights        m0nn_fc_s8: [out_size][in_size], row-major int8, symmetric (zero point 0).
 *                m0nn_fc_s8_b8*: blocks of 8 output rows: block b holds, for each
 *                input i, the 8 bytes w[8b + r][i] + 128 as uint8 (r = 0..7); a
 *                last block of 5-7 rows is padded with zero weights to 8, one
 *                of 1-4 rows to 4 (4 bytes per input). 4-byte aligned
 *                (M0NN_ALIGN4). The m0nn Python package writes this layout.
 *                m0nn_fc_s8_b8w*: the wide layout, the same with each byte in a
 *                little-endian 16-bit lane and the rows of each block in the
 *                order 0, 2, 1, 3, 4, 6, 5, 7 (twice the bytes; the ARMv6-M loop
 *                then needs no unpacking: 3.05 instead of 3.63 cycles per MAC).
 * bias           out_size int32 values, or NULL for none.
 * multiplier     1 value (per_channel = 0) or out_size values (per_channel = 1);
 *                NULL allowed with M0NN_REQUANT_SHIFT.
 * shift          as multiplier; the power-of-two exponent (negative: right shift).
 * weight_zero_point  NULL (symmetric weights), or as multiplier: values in
 *                [-128, 127] subtracted from every weight of the channel
 *                (CMSIS-NN's fully_connected_w_zp; uint8 weights are stored
 *                as int8 w - 128 with zero point zp - 128). The kernels apply
 *                it once per output as -wzp * sum(input + input_offset).
 * requant        an m0nn_requant_t; see its ranges above.
 * Bit-exactness additionally needs every final accumulator to fit in int32
 * (intermediate sums are taken modulo 2^32); the generator proves it.
 */
typedef struct {
    int32_t in_size;
    int32_t out_size;
    int32_t input_offset;
    int32_t output_offset;
    int32_t act_min;
    int32_t act_max;
    int32_t per_channel;
    int32_t requant;
    const void *weights;
    const int32_t *bias;
    const int32_t *multiplier;
    const int32_t *shift;
    const int32_t *weight_zero_point;
} m0nn_fc_s8_params_t;

/* Fully connected int8 layer. input: in_size values; output: out_size values
 * (may not overlap input). Arguments are checked once, before any output is
 * written; on an error the output is untouched. */
m0nn_status_t m0nn_fc_s8(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);

/* The smallest configuration (kernel=small): m0nn_fc_s8 for M0NN_REQUANT_MUL32
 * only (any other mode: M0NN_ERR_QUANT), so no 64-bit multiply is linked;
 * the same layout, ranges and results. */
m0nn_status_t m0nn_fc_s8_small(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);

/* The same layer on 8-row blocked, biased weights (see `weights` above) and
 * offset-binary input: each input byte is read as uint8 u = q + 128 (q the
 * int8 value; m0nn_to_offset_binary converts, and a model's layers write it
 * directly). Requires input_offset = 0: the generator folds the input zero
 * point and the 128 into the bias, bias' = bias + (input_offset - 128) *
 * sum_i (w[o][i] - wzp[o]), so that acc = bias' + sum_i u[i] * (w[o][i] -
 * wzp[o]) is the same accumulator. On ARMv6-M the loops are assembly that multiplies two products
 * at once (m0nn_armv6m_lanes.inc), elsewhere C. One function per
 * requantization, each rejecting the others with M0NN_ERR_QUANT, so a model
 * links only what it uses (no 64-bit multiply without Q31 layers):
 * m0nn_fc_s8_b8 (M0NN_REQUANT_MUL32), m0nn_fc_s8_b8_q31 (M0NN_REQUANT_Q31),
 * m0nn_fc_s8_b8_shift (M0NN_REQUANT_SHIFT). */
m0nn_status_t m0nn_fc_s8_b8(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_fc_s8_b8_q31(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_fc_s8_b8_shift(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
/* Q31 (M0NN_REQUANT_Q31, the same results) without the 64-bit multiply: four
 * 16-bit products per output (docs/numerics.md, "Q31 without the 64-bit
 * multiply"). Legal: every shift in [-31, -1] (else M0NN_ERR_QUANT) and, proven
 * by the generator, every |acc| <= 2^30 - 1. Likewise _b8w_q31_split and
 * _b4_q31_split below. */
m0nn_status_t m0nn_fc_s8_b8_q31_split(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
/* The same three on the wide layout (see `weights`). */
m0nn_status_t m0nn_fc_s8_b8w(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_fc_s8_b8w_q31(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_fc_s8_b8w_shift(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_fc_s8_b8w_q31_split(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
/* The pairs layout (kernel=b8w picks it where legal; M0NN_REQUANT_MUL32 only,
 * else M0NN_ERR_QUANT): in_size <= 64 (else M0NN_ERR_SIZE), int8 weights in
 * groups of 4 output rows (a last group padded with zero rows), each group
 * holding for each pair (a, b) of inputs the 4 rows' little-endian int32 words
 * w[o][b] + 65536 * w[o][a]; the pairs, ceil(in_size / 2) of them, are (4g,
 * 4g + 2) and (4g + 1, 4g + 3) for each whole group of 4 inputs, then (a, a + 1)
 * for the last in_size mod 4 (w[o][in_size] = 0 for an odd in_size); 4-byte
 * aligned. The same offset-binary input (any alignment; a word-aligned one is
 * staged faster), read as x = u - 128; input_offset must be 0 (else
 * M0NN_ERR_OFFSET, like every blocked kernel): the bias holds the input zero
 * point, bias' = bias + z_in * sum_i (w[o][i] - wzp[o]). Exact when no row holds
 * w[o][a] = w[o][b] = -128 for a pair (a, b) (the generator's rule) and every
 * accumulator fits int32. Two inputs per multiply: 2.5 cycles per MAC in the
 * ARMv6-M loop (docs/numerics.md). */
m0nn_status_t m0nn_fc_s8_b8p(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
/* The same three on packed 4-bit weights, for layers whose weights all lie in
 * [-8, 7] (trained at 4 bits): blocks of 8 rows, for each input one 32-bit
 * little-endian word of 8 nibbles w[8b + r][i] + 8 (row r at bits 4r), a
 * last block of 1-7 rows padded with zero weights to 8; 4-byte aligned. Half
 * the bytes of m0nn_fc_s8_b8 for full blocks. Same offset-binary input and
 * folded bias as m0nn_fc_s8_b8; the weights' +8 is removed with -8 * sum(u). */
m0nn_status_t m0nn_fc_s8_b4(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_fc_s8_b4_q31(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_fc_s8_b4_shift(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_fc_s8_b4_q31_split(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);

/* A call with several faults returns the first in its kernel's order.
 * m0nn_fc_s8: M0NN_ERR_NULL (params, input, output, weights, shift, or
 *   multiplier unless M0NN_REQUANT_SHIFT), M0NN_ERR_SIZE (in_size, out_size),
 *   M0NN_ERR_OFFSET (input_offset, output_offset, act_min, act_max),
 *   M0NN_ERR_QUANT (per_channel), M0NN_ERR_OFFSET (a weight zero point),
 *   M0NN_ERR_QUANT (requant, the multipliers and shifts).
 * The MUL32 blocked kernels (m0nn_fc_s8_b8, _b8w, _b8p, _b4), on every target
 *   (on ARMv6-M the assembly entry hands every call it refuses to the C check):
 *   M0NN_ERR_NULL (as m0nn_fc_s8), M0NN_ERR_SIZE (in_size, out_size),
 *   M0NN_ERR_OFFSET (input_offset not 0, output_offset, act_min, act_max),
 *   M0NN_ERR_QUANT (per_channel), M0NN_ERR_OFFSET (a weight zero point),
 *   M0NN_ERR_QUANT (requant not MUL32), M0NN_ERR_SIZE (in_size above the
 *   layout's limit: 64 for _b8p), M0NN_ERR_ALIGN (weights), M0NN_ERR_QUANT (a
 *   shift outside [-31, -1] or a negative multiplier; checked last, before any
 *   output byte is written).
 * The _q31, _shift and _q31_split blocked kernels: M0NN_ERR_QUANT when requant
 *   is not the kernel's mode (params not NULL; before any other check), then
 *   m0nn_fc_s8's order, then M0NN_ERR_OFFSET (input_offset not 0),
 *   M0NN_ERR_ALIGN (weights) and, for _q31_split, M0NN_ERR_QUANT (a shift
 *   outside [-31, -1]).
 * So input_offset 1 with an illegal shift is M0NN_ERR_OFFSET from
 * m0nn_fc_s8_b8 but M0NN_ERR_QUANT from m0nn_fc_s8_b8_q31. */
typedef m0nn_status_t (*m0nn_fc_fn_t)(const m0nn_fc_s8_params_t *params, const int8_t *input, int8_t *output);

/* One layer of a model: the kernel that runs it, whether it reads offset-binary
 * input (the blocked kernels), and its parameters. Naming the kernel here links
 * only the kernels a model uses. */
typedef struct {
    m0nn_fc_fn_t run;
    int32_t input_u8;
    m0nn_fc_s8_params_t params;
} m0nn_layer_t;

/* A model: layers run in order, each reading its predecessor's output. The
 * activations between layers live in the caller's arena of arena_size bytes:
 * even-numbered layers write at its start, odd-numbered ones at its end. When
 * the first layer reads offset-binary input, the model's int8 input is first
 * converted into the end of the arena. A tensor at the end starts at a
 * multiple of 4 bytes from the arena's start (arena_size - n rounded down), so
 * with a 4-byte aligned arena (M0NN_ALIGN4) every layer's input is aligned.
 * arena_size >= the largest sum of two adjacent activations held at once,
 * each rounded up to 4 bytes (what the generator states; checked: a smaller
 * one is M0NN_ERR_SIZE); 0 for one layer reading int8, which needs no arena:
 * it may then be NULL. m0nn_model_run_small places tensors without rounding
 * and accepts the same size. */
typedef struct {
    int32_t n_layers;
    int32_t arena_size;
    const m0nn_layer_t *layers;
} m0nn_model_t;

/* out[i] = in[i] + 128 as uint8 (the offset-binary form of int8 values). */
void m0nn_to_offset_binary(const int8_t *in, uint8_t *out, int32_t n);

/* 4-byte alignment: required for blocked weight arrays (the ARMv6-M loops read
 * them by word); for an arena it lets the input conversion and the pairs
 * kernel's input staging work by word. */
#if defined(__GNUC__) || defined(__clang__)
#define M0NN_ALIGN4 __attribute__((aligned(4)))
#else
#define M0NN_ALIGN4
#endif

/* Called after each layer with its output (layer in [0, n_layers)), as stored:
 * offset-binary when layers[layer + 1].input_u8. */
typedef void (*m0nn_observer_t)(void *ctx, int32_t layer, const int8_t *output, int32_t size);

/* Runs `model` on input (layers[0].in_size values) into output
 * (layers[n-1].out_size values). arena: model->arena_size bytes, any alignment
 * (4-byte aligned: every layer reads its input by word where it can).
 * Checks the layer chain and the arena once; then the first failing layer's
 * status is returned. observer may be NULL (m0nn_model_run passes NULL). */
m0nn_status_t m0nn_model_run_observed(const m0nn_model_t *model, const int8_t *input, int8_t *output, void *arena,
                                      m0nn_observer_t observer, void *ctx);
m0nn_status_t m0nn_model_run(const m0nn_model_t *model, const int8_t *input, int8_t *output, void *arena);
/* m0nn_model_run without the offset-binary input conversion (a first layer
 * with input_u8: M0NN_ERR_OFFSET) and without an observer: the runner of
 * kernel=small, whose layers all read int8. */
m0nn_status_t m0nn_model_run_small(const m0nn_model_t *model, const int8_t *input, int8_t *output, void *arena);

/* Index of the largest of n values (the first one on ties), or -1 when
 * values is NULL or n < 1. */
int32_t m0nn_argmax_s8(const int8_t *values, int32_t n);

/* A ReLU that is not fused into a layer: output[i] = max(input[i], zero_point).
 * n [1, ...]; zero_point [-128, 127]; output may equal input. */
m0nn_status_t m0nn_relu_s8(const int8_t *input, int8_t *output, int32_t n, int32_t zero_point);

/* Raw sensor integers to a model's int8 input, with no float and no 64-bit math
 * (docs/numerics.md, "Raw sensor input"): for a sensor whose real value is
 * raw_scale * (raw - raw_offset),
 *   x = (clamp(raw, raw_min, raw_max) - raw_offset) >> pre_shift     (floor)
 *   q = clamp(round_half_even(x * multiplier / 2^-shift) + zero_point, q_min, q_max)
 * with multiplier / 2^(pre_shift - shift) ~ raw_scale / input_scale. The m0nn
 * generator computes the constants (m0nn.quant.raw_input_params; the model
 * header's <name>_raw_input when custom_m0nn_input_scale or `m0nn gen
 * --input-scale` is given). raw_min and raw_max are where q saturates anyway, so
 * the clamp changes no result and bounds the product; pre_shift is 0 unless the
 * raw range is wider than about 2^24.
 * Legal: pre_shift in [0, 31]; shift in [-31, -1]; multiplier >= 0; raw_min <=
 * raw_max; zero_point in [-128, 127]; -128 <= q_min <= q_max <= 127 (the model's
 * input range: narrower for 7-bit activations); and, guaranteed by the generator,
 * raw_min - raw_offset and raw_max - raw_offset within int32 and
 * max(|x|) * multiplier + 2^(-shift - 1) < 2^31. */
typedef struct {
    int32_t raw_min;
    int32_t raw_max;
    int32_t raw_offset;
    int32_t pre_shift;
    int32_t multiplier;
    int32_t shift;
    int32_t zero_point;
    int32_t q_min;
    int32_t q_max;
} m0nn_quantize_params_t;

/* output[i] = q(raw[i]) for n [1, ...] int16 or int32 raw values. Errors
 * (output untouched): M0NN_ERR_NULL, M0NN_ERR_SIZE (n < 1), M0NN_ERR_QUANT
 * (pre_shift, shift, multiplier or raw_min > raw_max), M0NN_ERR_OFFSET (zero_point,
 * q_min, q_max). */
m0nn_status_t m0nn_quantize_s16(const m0nn_quantize_params_t *params, const int16_t *raw, int8_t *output, int32_t n);
m0nn_status_t m0nn_quantize_s32(const m0nn_quantize_params_t *params, const int32_t *raw, int8_t *output, int32_t n);

/* An int8 output's real value, scale * (q - zero_point), as Q16.16 (int32 holding
 * real * 2^16): round_half_even((q - zero_point) * multiplier / 2^-shift), with
 * multiplier / 2^-shift ~ scale * 2^16 (m0nn.quant.output_q16_params; the model
 * header's <name>_output_q16). Legal: shift in [-31, -1], multiplier >= 0,
 * zero_point in [-128, 127], and (generator) 255 * multiplier + 2^(-shift - 1) < 2^31. */
typedef struct {
    int32_t zero_point;
    int32_t multiplier;
    int32_t shift;
} m0nn_dequantize_params_t;

/* output[i] = Q16.16 real value of q[i], n [1, ...]; errors as m0nn_quantize_s16. */
m0nn_status_t m0nn_dequantize_q16(const m0nn_dequantize_params_t *params, const int8_t *q, int32_t *output, int32_t n);

/* ---- Graph operators (conv nets) and their runner. Activations are int8 and
 * channels-last: a tensor of C channels over H x W positions is stored
 * [H][W][C] (1-D: H = 1). The m0nn Python package computes every constant
 * below; these kernels only consume it. Every kernel checks its arguments
 * once, before writing any output, and returns an m0nn_status_t. No float, no
 * division, no malloc. */

/* Convolution, standard or depthwise, q31 requantization per output channel:
 * out[oy][ox][co] = clamp(requant_q31(acc, multiplier[co], shift[co]) + output_offset),
 * acc = bias[co] + sum over taps (ky, kx) inside the input, iy = oy * stride_h
 * - pad_top + ky * dilation_h (ix likewise), of (in[iy][ix][ci] + input_offset) * w.
 * Taps in the padding are skipped: they hold the input zero point, which adds 0.
 * in_h, in_w, in_c, out_h, out_w, out_c   [1, 65535], in_h * in_w * in_c and
 *                out_h * out_w * out_c below 2^24
 * kernel_h/w, stride_h/w, dilation_h/w    [1, 255]
 * pad_top, pad_left                      [0, 255] (bottom and right padding are
 *                                        implied by out_h and out_w)
 * depth_multiplier  0: standard conv, weights [out_c][kernel_h][kernel_w][in_c];
 *                   >= 1 (m0nn_depthwise_conv_s8): out_c = in_c * depth_multiplier,
 *                   weights [kernel_h][kernel_w][out_c], output channel c reads
 *                   input channel c / depth_multiplier.
 * input_offset   [-127, 128]: minus the input zero point.
 * output_offset  [-128, 127]: the output zero point.
 * act_min/max    within [-128, 127], act_min <= act_max.
 * weights        int8, symmetric; bias out_c int32 values or NULL.
 * requant        an m0nn_requant_t (M0NN_REQUANT_Q31, _MUL32 or _SHIFT, ranges as for
 *                m0nn_fc_s8); the generator proves the MUL32/SHIFT bounds.
 * multiplier/shift  out_c values each (multiplier unread with M0NN_REQUANT_SHIFT).
 * lane_consts, lane_weights  NULL (standard conv: the straightforward loop), or
 *                (depthwise, multiplier 1, 3x3 without dilation or 1x3, stride_w 1) per
 *                channel {B0, B1} and the weights as bytes, ky-major, in three words (1x3:
 *                one), from the generator (m0nn.graph.dw_lanes; docs/numerics.md "Depthwise
 *                3x3"), `weights` and `bias` then unused (may be NULL); or
 *                the conv's fast path from the generator (m0nn.graph.lanes, docs/numerics.md
 *                "Conv in lanes"): per output row the input rows of the windows are copied
 *                to a band of at most M0NN_CONV_SCRATCH bytes on the stack (x + 128,
 *                column-major, padding as the zero point), and each window is multiplied
 *                by blocks of 8 output channels whose weights are packed two per word
 *                (lane_weights, 4-byte aligned), two products per multiply, with the
 *                requantization, clamp and store of M0NN_REQUANT_MUL32 in the same
 *                ARMv6-M loop. lane_consts: the positions a band holds, then per block the
 *                folded bias and the multipliers and right shifts. `weights` and `bias`
 *                are then unused (may be NULL).
 * The generator proves |acc| < 2^31 for every input (|bias| + 255 * sum |w| per channel). */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier;
    int32_t input_offset;
    int32_t output_offset;
    int32_t act_min, act_max;
    int32_t requant;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *multiplier;
    const int32_t *shift;
    const int32_t *lane_consts;
    const uint32_t *lane_weights;
} m0nn_conv_s8_params_t;

/* Stack scratch of m0nn_conv_s8's fast path: a band of M0NN_CONV_SCRATCH bytes
 * and the accumulators of M0NN_CONV_PAIR_CHANNELS channels (Q31 and SHIFT
 * layers), 768 bytes of arrays. m0nn_depthwise_conv_s8's arrays take at most 680
 * bytes (multiplier 1, 3x3 or 1x3, stride_w 1: a packed band of one channel's
 * plane, 10 rows of 14 words, and the job structure; other multiplier-1
 * shapes: 640 bytes, a packed band, its weights and a row of pair sums). The
 * whole stack of a kernel is more: these arrays, the saved registers and spills
 * of every frame of its call chain. With gcc -O2 on Cortex-M0, from the call of
 * m0nn_graph_run: 1,180 bytes for a model whose deepest kernel is m0nn_conv_s8's
 * fast path, 1,284 with the depthwise 3x3 one. A generated graph header states
 * its model's figure as <NAME>_STACK_SIZE (m0nn.graph.stack_size, per function
 * from -fstack-usage; docs/numerics.md "The budget"). */
#define M0NN_CONV_SCRATCH 640
#define M0NN_CONV_PAIR_CHANNELS 32

m0nn_status_t m0nn_conv_s8(const m0nn_conv_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_depthwise_conv_s8(const m0nn_conv_s8_params_t *params, const int8_t *input, int8_t *output);

/* Pooling over windows of kernel_h x kernel_w, channels-last, no dilation.
 * Sizes and strides as for the conv; pad_top/pad_left in [0, kernel - 1].
 * m0nn_maxpool_s8: the largest input of the window's taps inside the input
 *   (input and output share scale and zero point; offsets and tables unused).
 * m0nn_avgpool_s8: total = sum over the taps inside the input of
 *   (in + input_offset); count = kernel_h * kernel_w (count_include_pad) or the
 *   number of those taps. Then either
 *   - exact (multiplier NULL): TFLite's average, total / count rounded half away
 *     from zero, as (|total| + count / 2) * recip_mult[count - 1] >> recip_shift[count - 1]
 *     in 32-bit unsigned arithmetic (the host checks it is exact and fits for
 *     every |total| <= 255 * count), minus input_offset (same scale in and out);
 *   - rescaled: requant_q31(total * 2^pre_shift, multiplier[count - 1], shift[count - 1])
 *     + output_offset, when the output has its own scale; pre_shift in [0, 23] with
 *     255 * kernel_h * kernel_w * 2^pre_shift < 2^31 keeps fraction bits in the multiply.
 *   Tables hold kernel_h * kernel_w entries. */
typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t count_include_pad;
    int32_t input_offset;
    int32_t output_offset;
    int32_t pre_shift;
    const uint32_t *recip_mult;
    const int32_t *recip_shift;
    const int32_t *multiplier;
    const int32_t *shift;
} m0nn_pool_s8_params_t;

m0nn_status_t m0nn_maxpool_s8(const m0nn_pool_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_avgpool_s8(const m0nn_pool_s8_params_t *params, const int8_t *input, int8_t *output);

/* TFLite's int8 Add of two tensors with their own scales:
 * x_k = (in_k + input_k_offset) * 2^20; s_k = requant_q31(x_k, input_k_multiplier, input_k_shift);
 * out = clamp(requant_q31(s_1 + s_2, output_multiplier, output_shift) + output_offset).
 * size >= 1; input offsets [-127, 128]; output_offset [-128, 127]; input shifts
 * in [-31, 0] (the host rescales both to twice the larger scale); output_shift [-31, 30]. */
#define M0NN_ADD_LEFT_SHIFT 20
typedef struct {
    int32_t size;
    int32_t input1_offset, input2_offset;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t output_offset;
    int32_t act_min, act_max;
} m0nn_add_s8_params_t;

m0nn_status_t m0nn_add_s8(const m0nn_add_s8_params_t *params, const int8_t *input1, const int8_t *input2,
                          int8_t *output);

/* out[i] = table[in[i] + 128]: any int8 -> int8 function (activations, requantization). */
typedef struct {
    int32_t size;
    const int8_t *table; /* 256 entries */
} m0nn_lut_s8_params_t;

m0nn_status_t m0nn_lut_s8(const m0nn_lut_s8_params_t *params, const int8_t *input, int8_t *output);

/* Softmax over rows of `length` values: e_i = exp_table[max - x_i] (Q15,
 * exp_table[0] = 32768), S = sum e_i, normalised to 16 bits by r right shifts,
 * R = floor(2^31 / (S >> r)) by shift-subtract (no divider), p_i = e_i * R >>
 * (16 + r) (Q15 probability), out = clamp(((p_i * output_multiplier +
 * 2^(output_shift - 1)) >> output_shift) + output_offset, -128, 127).
 * rows >= 1; length in [1, 65535]; output_multiplier in [1, 2^16 - 1];
 * output_shift in [0, 31]. Error against the float softmax: docs/numerics.md. */
typedef struct {
    int32_t rows, length;
    int32_t output_multiplier, output_shift;
    int32_t output_offset;
    const uint16_t *exp_table; /* 256 entries */
} m0nn_softmax_s8_params_t;

m0nn_status_t m0nn_softmax_s8(const m0nn_softmax_s8_params_t *params, const int8_t *input, int8_t *output);

/* Channel concatenation of channels-last tensors: per position, a's channels then b's.
 * positions >= 1, channels_a/b >= 1. Both inputs share the output's scale. */
typedef struct {
    int32_t positions, channels_a, channels_b;
} m0nn_concat_s8_params_t;

m0nn_status_t m0nn_concat_s8(const m0nn_concat_s8_params_t *params, const int8_t *a, const int8_t *b, int8_t *output);

/* out[c][r] = in[r][c]: the model input from ONNX order [C][H*W] to channels-last, or back. */
typedef struct {
    int32_t rows, cols;
} m0nn_transpose_s8_params_t;

m0nn_status_t m0nn_transpose_s8(const m0nn_transpose_s8_params_t *params, const int8_t *input, int8_t *output);

/* A graph model: operators in topological order. Each reads one or two
 * tensors and writes one; a tensor lives at an offset in the caller's arena,
 * or is the model input (M0NN_AT_INPUT) or output (M0NN_AT_OUTPUT) buffer.
 * The generator plans the offsets by liveness (docs/numerics.md). */
typedef enum {
    M0NN_OP_CONV = 0,
    M0NN_OP_DEPTHWISE_CONV = 1,
    M0NN_OP_FC = 2,
    M0NN_OP_MAXPOOL = 3,
    M0NN_OP_AVGPOOL = 4,
    M0NN_OP_ADD = 5,
    M0NN_OP_LUT = 6,
    M0NN_OP_SOFTMAX = 7,
    M0NN_OP_CONCAT = 8,
    M0NN_OP_TRANSPOSE = 9
} m0nn_op_kind_t;

#define M0NN_AT_INPUT (-1)
#define M0NN_AT_OUTPUT (-2)
#define M0NN_AT_NONE (-3)

typedef struct {
    int32_t kind;     /* m0nn_op_kind_t */
    int32_t in0, in1; /* arena offsets, M0NN_AT_INPUT/OUTPUT, or M0NN_AT_NONE (in1 of one-input ops) */
    int32_t out;      /* arena offset or M0NN_AT_OUTPUT */
    int32_t in0_size; /* bytes of each tensor, for the arena check */
    int32_t in1_size;
    int32_t out_size;
    const void *params; /* the kernel's params struct (m0nn_fc_s8_params_t for M0NN_OP_FC) */
} m0nn_op_t;

/* What m0nn_graph_run calls for an operator of one kind: the kind's kernel with
 * op->params, the operator's inputs (b == a for one-input kinds) and output. The
 * generated header lists, indexed by kind, the entries its model uses (NULL for the
 * others), so an image links only those kernels. */
typedef m0nn_status_t (*m0nn_op_fn_t)(const void *params, const int8_t *a, const int8_t *b, int8_t *out);

m0nn_status_t m0nn_op_conv(const void *params, const int8_t *a, const int8_t *b, int8_t *out);
m0nn_status_t m0nn_op_depthwise_conv(const void *params, const int8_t *a, const int8_t *b, int8_t *out);
m0nn_status_t m0nn_op_fc(const void *params, const int8_t *a, const int8_t *b, int8_t *out);
m0nn_status_t m0nn_op_maxpool(const void *params, const int8_t *a, const int8_t *b, int8_t *out);
m0nn_status_t m0nn_op_avgpool(const void *params, const int8_t *a, const int8_t *b, int8_t *out);
m0nn_status_t m0nn_op_add(const void *params, const int8_t *a, const int8_t *b, int8_t *out);
m0nn_status_t m0nn_op_lut(const void *params, const int8_t *a, const int8_t *b, int8_t *out);
m0nn_status_t m0nn_op_softmax(const void *params, const int8_t *a, const int8_t *b, int8_t *out);
m0nn_status_t m0nn_op_concat(const void *params, const int8_t *a, const int8_t *b, int8_t *out);
m0nn_status_t m0nn_op_transpose(const void *params, const int8_t *a, const int8_t *b, int8_t *out);

typedef struct {
    int32_t n_ops;
    int32_t arena_size;
    int32_t input_size;
    int32_t output_size;
    const m0nn_op_t *ops;
    int32_t n_kinds;           /* entries of kinds: an operator's kind must be below it */
    const m0nn_op_fn_t *kinds; /* indexed by m0nn_op_kind_t; NULL for kinds the model lacks */
} m0nn_graph_t;

/* Runs the operators in order. input: input_size int8 values in the ONNX
 * model's element order; output: output_size values likewise; arena:
 * arena_size bytes, any alignment. Every operator's tensors are checked to lie
 * inside their buffers, and its kind to have an entry in kinds, before it runs;
 * the first failing status is returned.
 * observer (may be NULL) is called after each operator with its output. */
m0nn_status_t m0nn_graph_run_observed(const m0nn_graph_t *graph, const int8_t *input, int8_t *output, void *arena,
                                      m0nn_observer_t observer, void *ctx);
m0nn_status_t m0nn_graph_run(const m0nn_graph_t *graph, const int8_t *input, int8_t *output, void *arena);

#ifdef __cplusplus
}
#endif

#endif /* M0NN_H */
