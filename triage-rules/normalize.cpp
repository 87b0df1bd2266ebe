#include "triage-rules/normalize.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <cstdint>

namespace triage::rules {

namespace {

// The ICU instances are process-wide singletons owned by ICU and safe to share between threads.
struct icu_normalizers {
    const icu::Normalizer2* nfkc = nullptr;
    const icu::Normalizer2* nfd = nullptr;
    USpoofChecker* spoof = nullptr;  // only used for skeletons, which do not change it
};

const icu_normalizers& normalizers() {
    static const icu_normalizers n = [] {
        icu_normalizers r;
        UErrorCode st = U_ZERO_ERROR;
        r.nfkc = icu::Normalizer2::getNFKCInstance(st);
        if (U_FAILURE(st)) r.nfkc = nullptr;
        st = U_ZERO_ERROR;
        r.nfd = icu::Normalizer2::getNFDInstance(st);
        if (U_FAILURE(st)) r.nfd = nullptr;
        st = U_ZERO_ERROR;
        r.spoof = uspoof_open(&st);
        if (U_FAILURE(st)) r.spoof = nullptr;
        return r;
    }();
    return n;
}

// Patients type "can't" with whatever their keyboard gives them; all of these must vanish so
// that "can't", "can’t" and "can´t" become the same word "cant".
bool is_apostrophe(UChar32 c) {
    return c == 0x27 || c == 0x60 || c == 0xB4 || c == 0x2018 || c == 0x2019 || c == 0x02BC ||
           c == 0x02B9 || c == 0xFF07;
}

class builder {
public:
    builder(normalized_text& out, std::size_t input_size) : out_(out) {
        out_.text.reserve(input_size);
        out_.origin.reserve(input_size);
        out_.origin_end.reserve(input_size);
    }

    void separator(std::size_t b, std::size_t e) {
        if (pending_space_) return;
        pending_space_ = true;
        space_begin_ = b;
        space_end_ = e;
    }

    void code_point(UChar32 c, std::size_t b, std::size_t e) {
        char buf[U8_MAX_LENGTH];
        std::int32_t n = 0;
        U8_APPEND_UNSAFE(buf, n, c);
        // A space is written only when a word follows it, which collapses runs and trims both
        // ends without a second pass.
        if (pending_space_ && !out_.text.empty()) push(' ', space_begin_, space_end_);
        pending_space_ = false;
        for (std::int32_t i = 0; i < n; ++i) push(buf[i], b, e);
    }

private:
    void push(char ch, std::size_t b, std::size_t e) {
        out_.text.push_back(ch);
        out_.origin.push_back(b);
        out_.origin_end.push_back(e);
    }

    normalized_text& out_;
    bool pending_space_ = false;
    std::size_t space_begin_ = 0;
    std::size_t space_end_ = 0;
};

// A letter from another script that looks like a Latin one ("с" Cyrillic es, "ο" Greek omicron)
// reads as that Latin letter: ICU's confusable skeleton (UTS #39), applied one code point at a
// time and only outside the Latin script, so "rn" never turns into "m". Empty when there is no
// plain ASCII look-alike.
std::string ascii_look_alike(UChar32 c) {
    UErrorCode st = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(c, &st);
    if (U_FAILURE(st) || script == USCRIPT_LATIN || script == USCRIPT_COMMON || script == USCRIPT_INHERITED) return {};
    const auto& n = normalizers();
    if (n.spoof == nullptr) return {};
    icu::UnicodeString skeleton;
    uspoof_getSkeletonUnicodeString(n.spoof, 0, icu::UnicodeString(c), skeleton, &st);
    if (U_FAILURE(st) || skeleton.isEmpty()) return {};
    std::string out;
    for (std::int32_t i = 0; i < skeleton.length(); ++i) {
        const char16_t x = skeleton.charAt(i);
        if (x >= 'A' && x <= 'Z') {
            out.push_back(static_cast<char>(x - 'A' + 'a'));
        } else if ((x >= 'a' && x <= 'z') || (x >= '0' && x <= '9')) {
            out.push_back(static_cast<char>(x));
        } else {
            return {};
        }
    }
    return out;
}

// NFKC, full case folding, then NFD with the marks dropped, one input code point at a time so
// that every output byte keeps the byte range of the code point that produced it.
bool fold_non_ascii(UChar32 c, std::size_t b, std::size_t e, builder& out) {
    const auto& n = normalizers();
    if (n.nfkc == nullptr || n.nfd == nullptr) return false;
    if (auto latin = ascii_look_alike(c); !latin.empty()) {
        for (char ch : latin) out.code_point(static_cast<UChar32>(ch), b, e);
        return true;
    }
    UErrorCode st = U_ZERO_ERROR;
    icu::UnicodeString compat = n.nfkc->normalize(icu::UnicodeString(c), st);
    if (U_FAILURE(st)) return false;
    compat.foldCase(U_FOLD_CASE_DEFAULT);
    icu::UnicodeString decomposed = n.nfd->normalize(compat, st);
    if (U_FAILURE(st)) return false;
    for (std::int32_t i = 0; i < decomposed.length();) {
        UChar32 x = decomposed.char32At(i);
        i += U16_LENGTH(x);
        auto type = static_cast<UCharCategory>(u_charType(x));
        // An apostrophe can also come out of a compatibility decomposition ("ŉ" is "ʼn").
        if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK || type == U_FORMAT_CHAR ||
            type == U_CONTROL_CHAR || is_apostrophe(x)) {
            continue;
        }
        // Spacing marks are kept: in the scripts that have them they are part of the word, and
        // dropping them would glue unrelated words together.
        if (u_isalnum(x) || type == U_COMBINING_SPACING_MARK) {
            // A letter left bare by the decomposition may be a look-alike too ("Ё" -> "е").
            if (x >= 0x80) {
                if (auto latin = ascii_look_alike(x); !latin.empty()) {
                    for (char ch : latin) out.code_point(static_cast<UChar32>(ch), b, e);
                    continue;
                }
            }
            out.code_point(x, b, e);
        } else {
            out.separator(b, e);
        }
    }
    return true;
}

}  // namespace

normalized_text normalize(std::string_view input) {
    normalized_text out;
    try {
        builder b(out, input.size());
        const auto* s = reinterpret_cast<const std::uint8_t*>(input.data());
        const std::size_t length = input.size();
        std::size_t i = 0;
        while (i < length) {
            const std::size_t start = i;
            UChar32 c = 0;
            U8_NEXT(s, i, length, c);
            if (c < 0) {
                b.separator(start, i);
                continue;
            }
            if (c < 0x80) {
                if (c >= 'A' && c <= 'Z') {
                    b.code_point(c - 'A' + 'a', start, i);
                } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                    b.code_point(c, start, i);
                } else if (c == '\'' || c == '`') {
                    // dropped: see is_apostrophe
                } else if ((c < 0x20 && !(c >= '\t' && c <= '\r')) || c == 0x7F) {
                    // dropped: control characters other than whitespace, like format characters
                } else {
                    b.separator(start, i);
                }
                continue;
            }
            if (is_apostrophe(c)) continue;
            auto type = static_cast<UCharCategory>(u_charType(c));
            if (u_isUWhiteSpace(c)) {
                b.separator(start, i);
                continue;
            }
            // Zero-width spaces and joiners, soft hyphens and BOMs are invisible to the patient
            // and to staff, so "che\u200Bst" must read as "chest".
            if (type == U_FORMAT_CHAR || type == U_CONTROL_CHAR) continue;
            if (!fold_non_ascii(c, start, i, b)) {
                out.failed = true;
                b.separator(start, i);
            }
        }
    } catch (...) {
        // Only allocation can throw here; the caller must not trust a partial text.
        out.failed = true;
    }
    return out;
}

}  // namespace triage::rules
