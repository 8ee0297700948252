// The per-group scale searches of the K-quant quantizers (quants_k.cpp), kept apart so each file
// stays readable. Each fits one small group of floats (16 or 32) and returns its scale and quants with
// exactly the float operations of llama.cpp's reference searches (make_qx_quants, make_q3_quants,
// make_qkx2_quants), whose comparisons of nearly equal errors decide bytes. Private to src/quant.
#pragma once

#include <cstdint>

namespace chord::quant::detail {

inline constexpr float kAllZero = 1e-15f;  // a group whose largest |x| is below this quantizes to zeros

inline int clamp_int(int v, int lo, int hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

// Symmetric fit of n elements: quants l in [-nmax, nmax - 1], stored as l + nmax in L; the scale
// minimises sum x^2 (x - scale l)^2 over 19 candidate inverse scales around -nmax / extreme. Returns the
// scale, 0 for an all-zero group (L all 0). Q6_K uses n = 16, nmax = 32.
float fit_symmetric(const float* x, int n, int nmax, int8_t* L);

// Q3_K's symmetric fit of 16 elements (levels -4..3, stored + 4) refined by up to five passes of
// coordinate descent on single quants. Returns the least-squares scale, 0 for an all-zero group.
float fit_q3(const float* x, int8_t* L);

// Asymmetric fit x ~ scale * l - m of n elements (l in [0, nmax] into L, m >= 0 into *neg_min) with
// per-element weights: nstep + 1 candidate inverse scales (nmax + rmin + rdelta k) / range, each refined
// by weighted least squares, the smallest weighted error (|diff| if use_mad, else diff^2) kept. n <= 32.
float fit_scale_min(const float* x, const float* weights, int n, int nmax, uint8_t* L, float* neg_min,
                    float rmin, float rdelta, int nstep, bool use_mad);

}  // namespace chord::quant::detail
