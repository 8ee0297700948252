// The K-quant scale searches declared in k_fit.h. Every float operation keeps the order of llama.cpp's
// reference searches: the comparisons between candidate errors are decided by the last bit.
#include "quant/k_fit.h"

#include <cmath>
#include <cstring>

#include "quant/rounding.h"

namespace chord::quant::detail {

float fit_symmetric(const float* x, int n, int nmax, int8_t* L) {
    float amax = 0.0f;
    float extreme = 0.0f;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            extreme = x[i];
        }
    }
    if (amax < kAllZero) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.0f;
    }
    // Weighted sums for inverse scale `iscale`: sumlx = sum w x l, suml2 = sum w l^2.
    auto sums = [&](float iscale, float& sumlx, float& suml2) {
        sumlx = 0.0f;
        suml2 = 0.0f;
        for (int i = 0; i < n; ++i) {
            const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
            const float w = x[i] * x[i];
            sumlx += w * x[i] * static_cast<float>(l);
            suml2 += w * static_cast<float>(l) * static_cast<float>(l);
        }
    };
    auto assign = [&](float iscale) {
        for (int i = 0; i < n; ++i)
            L[i] = static_cast<int8_t>(nmax + clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1));
    };
    float iscale = static_cast<float>(-nmax) / extreme;
    float sumlx, suml2;
    sums(iscale, sumlx, suml2);
    assign(iscale);
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int step = -9; step <= 9; ++step) {
        if (step == 0) continue;
        iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / extreme;
        sums(iscale, sumlx, suml2);
        if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
            assign(iscale);
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

float fit_q3(const float* x, int8_t* L) {
    constexpr int n = 16;
    constexpr int nmax = 4;
    float amax = 0.0f;
    float extreme = 0.0f;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            extreme = x[i];
        }
    }
    if (amax < kAllZero) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.0f;
    }
    const float iscale = static_cast<float>(-nmax) / extreme;
    float sumlx = 0.0f;
    float suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
        const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
        L[i] = static_cast<int8_t>(l);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * static_cast<float>(l);
        suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    for (int pass = 0; pass < 5; ++pass) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = x[i] * x[i];
            const auto li = static_cast<float>(L[i]);
            float slx = sumlx - w * x[i] * li;
            if (slx > 0.0f) {
                float sl2 = suml2 - w * li * li;
                const int moved = clamp_int(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
                if (moved != L[i]) {
                    const auto lm = static_cast<float>(moved);
                    slx += w * x[i] * lm;
                    sl2 += w * lm * lm;
                    if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = static_cast<int8_t>(moved);
                        sumlx = slx;
                        suml2 = sl2;
                        ++changed;
                    }
                }
            }
        }
        if (changed == 0) break;
    }
    for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

float fit_scale_min(const float* x, const float* weights, int n, int nmax, uint8_t* L, float* neg_min,
                    float rmin, float rdelta, int nstep, bool use_mad) {
    float lo = x[0];
    float hi = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
        const float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (lo > 0.0f) lo = 0.0f;
    if (hi == lo) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        *neg_min = -lo;
        return 0.0f;
    }
    auto error_term = [use_mad](float diff) { return use_mad ? std::fabs(diff) : diff * diff; };

    float iscale = static_cast<float>(nmax) / (hi - lo);
    float scale = 1.0f / iscale;
    float best_error = 0.0f;
    for (int i = 0; i < n; ++i) {
        const int l = clamp_int(nearest_int(iscale * (x[i] - lo)), 0, nmax);
        L[i] = static_cast<uint8_t>(l);
        const float diff = scale * static_cast<float>(l) + lo - x[i];
        best_error += weights[i] * error_term(diff);
    }
    uint8_t trial[32];
    for (int step = 0; step <= nstep; ++step) {
        iscale = (rmin + rdelta * static_cast<float>(step) + static_cast<float>(nmax)) / (hi - lo);
        float sum_l = 0.0f;
        float sum_l2 = 0.0f;
        float sum_xl = 0.0f;
        for (int i = 0; i < n; ++i) {
            const int l = clamp_int(nearest_int(iscale * (x[i] - lo)), 0, nmax);
            trial[i] = static_cast<uint8_t>(l);
            const float w = weights[i];
            const auto fl = static_cast<float>(l);
            sum_l += w * fl;
            sum_l2 += w * fl * fl;
            sum_xl += w * fl * x[i];
        }
        const float det = sum_w * sum_l2 - sum_l * sum_l;
        if (!(det > 0.0f)) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
        float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
        if (this_min > 0.0f) {
            this_min = 0.0f;
            this_scale = sum_xl / sum_l2;
        }
        float error = 0.0f;
        for (int i = 0; i < n; ++i) {
            const float diff = this_scale * static_cast<float>(trial[i]) + this_min - x[i];
            error += weights[i] * error_term(diff);
        }
        if (error < best_error) {
            std::memcpy(L, trial, static_cast<size_t>(n));
            best_error = error;
            scale = this_scale;
            lo = this_min;
        }
    }
    *neg_min = -lo;
    return scale;
}

}  // namespace chord::quant::detail
