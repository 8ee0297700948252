// Global functions of the chat-template interpreter (see builtins.h).
#include "chat/builtins.h"

#include <algorithm>
#include <ctime>

namespace chord::chat {
namespace {

Value fn_range(Ctx& ctx, Args& a) {
    int64_t start = 0, stop = 0, step = 1;
    if (a.positional.size() == 1) {
        stop = arg_int(&a.positional[0], 0, "range stop");
    } else if (a.positional.size() == 2 || a.positional.size() == 3) {
        start = arg_int(&a.positional[0], 0, "range start");
        stop = arg_int(&a.positional[1], 0, "range stop");
        if (a.positional.size() == 3) step = arg_int(&a.positional[2], 1, "range step");
    } else {
        Ctx::fail("range() takes 1 to 3 integers");
    }
    if (step == 0) Ctx::fail("range() step must not be zero");
    // Counted in floating point: the int64 difference may overflow, and the count only needs to be
    // good enough to refuse huge ranges before building them.
    const double span = (static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step);
    const uint64_t count = span <= 0 ? 0 : static_cast<uint64_t>(std::min(span + 1.0, 1e18));
    ctx.tick(count);
    Value list = ctx.new_list();
    for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
        ctx.heap.append(*list.as_list(), Value::integer(i));
        if (__builtin_add_overflow(i, step, &i)) break;
    }
    return list;
}

Value fn_namespace(Ctx& ctx, Args& a) {
    Value ns = Value::dict(ctx.heap.new_dict(/*is_namespace=*/true));
    if (!a.positional.empty()) {
        const Value& init = a.positional[0];
        if (a.positional.size() > 1 || !(init.is_dict() || init.is_namespace()))
            Ctx::fail("namespace() takes one dict and keyword arguments");
        for (const auto& [k, v] : init.as_dict()->entries) ctx.heap.set(*ns.as_dict(), k, v);
    }
    for (const auto& [k, v] : a.keyword) ctx.heap.set(*ns.as_dict(), Value::string(k), v);
    return ns;
}

Value fn_dict(Ctx& ctx, Args& a) {
    Value d = Value::dict(ctx.heap.new_dict());
    if (!a.positional.empty()) {
        if (a.positional.size() > 1 || !a.positional[0].is_dict())
            Ctx::fail("dict() takes one dict and keyword arguments");
        for (const auto& [k, v] : a.positional[0].as_dict()->entries) ctx.heap.set(*d.as_dict(), k, v);
    }
    for (const auto& [k, v] : a.keyword) ctx.heap.set(*d.as_dict(), Value::string(k), v);
    return d;
}

Value fn_raise_exception(Ctx& ctx, Args& a) {
    const Value* msg = a.get(0, "message");
    throw Error(ErrorCode::InvalidArgument,
                "raise_exception: " + (msg ? display(*msg, ctx.limits.max_output_bytes) : std::string()));
}

DateTime local_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
}

Value fn_strftime_now(Ctx& ctx, Args& a) {
    const std::string format = arg_string(a.get(0, "format"), "", "format");
    return ctx.string(format_time(format, ctx.now ? *ctx.now : local_now()));
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

}  // namespace

const GlobalFunction kGlobalFunctions[5] = {
    {"range", fn_range},
    {"namespace", fn_namespace},
    {"dict", fn_dict},
    {"raise_exception", fn_raise_exception},
    {"strftime_now", fn_strftime_now},
};

std::string format_time(std::string_view format, const DateTime& now) {
    static const char* const kMonths[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
    static const char* const kDays[] = {"Thursday", "Friday",  "Saturday", "Sunday",
                                        "Monday",   "Tuesday", "Wednesday"};
    const auto two = [](int v) {
        std::string s(v >= 0 && v < 10 ? 1 : 0, '0');  // appended to, not prepended: g++ 12 -O2 warns falsely
        s += std::to_string(v);
        return s;
    };
    const int month = now.month >= 1 && now.month <= 12 ? now.month : 1;
    const int64_t days = days_from_civil(now.year, month, now.day);
    const std::string weekday = kDays[((days % 7) + 7) % 7];
    const int hour12 = now.hour % 12 == 0 ? 12 : now.hour % 12;
    std::string out;
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%' || i + 1 == format.size()) {
            out.push_back(format[i]);
            continue;
        }
        switch (format[++i]) {
            case 'Y':
                out += std::to_string(now.year);
                break;
            case 'y':
                out += two(now.year % 100);
                break;
            case 'm':
                out += two(month);
                break;
            case 'd':
                out += two(now.day);
                break;
            case 'e':
                if (now.day < 10) out.push_back(' ');
                out += std::to_string(now.day);
                break;
            case 'B':
                out += kMonths[month - 1];
                break;
            case 'b':
                out += std::string(kMonths[month - 1]).substr(0, 3);
                break;
            case 'A':
                out += weekday;
                break;
            case 'a':
                out += weekday.substr(0, 3);
                break;
            case 'H':
                out += two(now.hour);
                break;
            case 'I':
                out += two(hour12);
                break;
            case 'M':
                out += two(now.minute);
                break;
            case 'S':
                out += two(now.second);
                break;
            case 'p':
                out += now.hour < 12 ? "AM" : "PM";
                break;
            case 'j': {
                std::string day = std::to_string(days - days_from_civil(now.year, 1, 1) + 1);
                out.append(day.size() < 3 ? 3 - day.size() : 0, '0');
                out += day;
                break;
            }
            case '%':
                out.push_back('%');
                break;
            default:
                out.push_back('%');
                out.push_back(format[i]);
        }
    }
    return out;
}

}  // namespace chord::chat
