// The two lookup tables on the tokenizers' hot paths: text -> id (vocabulary lookups of substrings,
// without building a std::string per lookup) and (left id, right id) -> merge. Both are flat
// open-addressing tables with linear probing, filled once at load time and then only read, which is
// several times faster than std::unordered_map here. Not general-purpose containers: no erase.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace chord::tokenizer {

inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

inline uint64_t hash_bytes(std::string_view s) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(s.size()) * 0x100000001B3ull);
    const char* p = s.data();
    size_t n = s.size();
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * 0x9FB21C651E98DF25ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    if (n > 0) std::memcpy(&w, p, n);
    return mix64(h ^ w);
}

// Keys are views: the caller keeps the strings alive (and in place) for the map's lifetime.
class StringIdMap {
  public:
    void reserve(size_t n) {
        size_t cap = 16;
        while (cap < n * 2) cap <<= 1;
        if (cap > slots_.size()) rehash(cap);
    }

    // Sets the id of key, replacing an earlier one.
    void assign(std::string_view key, int32_t id) {
        if ((count_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
        const uint64_t h = hash_bytes(key);
        for (size_t i = static_cast<size_t>(h) & mask_;; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.id < 0) {
                s = Slot{h, key.data(), static_cast<uint32_t>(key.size()), id};
                ++count_;
                return;
            }
            if (s.hash == h && view(s) == key) {
                s.id = id;
                return;
            }
        }
    }

    // The id of key, or -1.
    int32_t find(std::string_view key) const {
        if (count_ == 0) return -1;
        const uint64_t h = hash_bytes(key);
        for (size_t i = static_cast<size_t>(h) & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.id < 0) return -1;
            if (s.hash == h && view(s) == key) return s.id;
        }
    }

    size_t size() const { return count_; }

  private:
    struct Slot {
        uint64_t hash = 0;
        const char* data = nullptr;
        uint32_t size = 0;
        int32_t id = -1;  // -1: empty
    };

    static std::string_view view(const Slot& s) { return {s.data, s.size}; }

    void rehash(size_t cap) {
        std::vector<Slot> old;
        old.swap(slots_);
        slots_.assign(cap, Slot{});
        mask_ = cap - 1;
        for (const Slot& s : old) {
            if (s.id < 0) continue;
            size_t i = static_cast<size_t>(s.hash) & mask_;
            while (slots_[i].id >= 0) i = (i + 1) & mask_;
            slots_[i] = s;
        }
    }

    std::vector<Slot> slots_;
    size_t mask_ = 0;
    size_t count_ = 0;
};

// A map from a pair of non-negative 32-bit ids to a 64-bit value; the first value set for a pair stays.
class PairMap {
  public:
    static uint64_t key(int32_t a, int32_t b) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }

    void reserve(size_t n) {
        size_t cap = 16;
        while (cap < n * 2) cap <<= 1;
        if (cap > slots_.size()) rehash(cap);
    }

    // Inserts unless the pair is present; returns whether it inserted.
    bool insert(int32_t a, int32_t b, uint64_t value) {
        if ((count_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
        const uint64_t k = key(a, b);
        for (size_t i = static_cast<size_t>(mix64(k)) & mask_;; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.key == kEmpty) {
                s = Slot{k, value};
                ++count_;
                return true;
            }
            if (s.key == k) return false;
        }
    }

    // The value of the pair, or nullptr.
    const uint64_t* find(int32_t a, int32_t b) const {
        if (count_ == 0) return nullptr;
        const uint64_t k = key(a, b);
        for (size_t i = static_cast<size_t>(mix64(k)) & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.key == k) return &s.value;
            if (s.key == kEmpty) return nullptr;
        }
    }

    size_t size() const { return count_; }

  private:
    static constexpr uint64_t kEmpty = ~0ull;  // ids are below 2^31, so no real key has all bits set
    struct Slot {
        uint64_t key = kEmpty;
        uint64_t value = 0;
    };

    void rehash(size_t cap) {
        std::vector<Slot> old;
        old.swap(slots_);
        slots_.assign(cap, Slot{});
        mask_ = cap - 1;
        for (const Slot& s : old) {
            if (s.key == kEmpty) continue;
            size_t i = static_cast<size_t>(mix64(s.key)) & mask_;
            while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
            slots_[i] = s;
        }
    }

    std::vector<Slot> slots_;
    size_t mask_ = 0;
    size_t count_ = 0;
};

}  // namespace chord::tokenizer
