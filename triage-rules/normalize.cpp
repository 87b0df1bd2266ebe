#include "triage-rules/normalize.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace triage::rules {
namespace {

// Sentence and clause punctuation becomes a "|" token, so that a phrase never matches across
// sentences and negation scope stops there.
bool is_clause_break(UChar32 c) {
    return c == '.' || c == ';' || c == '!' || c == '?' || c == '\n' || c == 0x3002 || c == 0xA1 || c == 0xBF;
}

void append_utf8(std::string& out, UChar32 c) {
    char buf[4];
    int32_t n = 0;
    UBool err = false;
    U8_APPEND(buf, n, 4, c, err);
    if (!err) out.append(buf, static_cast<std::size_t>(n));
}

}  // namespace

normalized_text normalize(std::string_view input) {
    normalized_text out;
    out.text.reserve(input.size());
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
    const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
    if (U_FAILURE(status)) return out;

    bool pending_space = false;
    auto emit = [&](std::string_view bytes, std::size_t from, std::size_t to) {
        if (pending_space && !out.text.empty()) {
            out.text.push_back(' ');
            out.origin.push_back(from);
            out.origin_end.push_back(from);
        }
        pending_space = false;
        for (char b : bytes) {
            out.text.push_back(b);
            out.origin.push_back(from);
            out.origin_end.push_back(to);
        }
    };

    const auto* s = reinterpret_cast<const uint8_t*>(input.data());
    int32_t len = static_cast<int32_t>(input.size());
    int32_t i = 0;
    while (i < len) {
        std::size_t start = static_cast<std::size_t>(i);
        UChar32 c;
        U8_NEXT(s, i, len, c);
        std::size_t end = static_cast<std::size_t>(i);
        if (c < 0) { pending_space = true; continue; }  // invalid UTF-8: a separator
        int8_t type = u_charType(c);
        // Zero-width and other invisible characters vanish, so "che\u200Bst" is "chest".
        if (type == U_FORMAT_CHAR || (type == U_CONTROL_CHAR && c != '\n')) continue;
        if (c == '\'' || c == 0x2019 || c == 0x2018) continue;  // "can't" -> "cant"
        if (is_clause_break(c)) {
            bool after_break = out.text.size() >= 1 && out.text.back() == '|';
            if (!after_break && !out.text.empty()) {
                pending_space = true;
                emit("|", start, end);
            }
            pending_space = true;
            continue;
        }
        icu::UnicodeString one(c);
        icu::UnicodeString folded = nfkc->normalize(one, status);
        folded.foldCase();
        icu::UnicodeString decomposed = nfd->normalize(folded, status);
        if (U_FAILURE(status)) { status = U_ZERO_ERROR; pending_space = true; continue; }
        std::string bytes;
        for (int32_t k = 0; k < decomposed.length();) {
            UChar32 d = decomposed.char32At(k);
            k += U16_LENGTH(d);
            if (u_charType(d) == U_NON_SPACING_MARK) continue;  // accent folding
            if (u_isalnum(d)) append_utf8(bytes, d);
            else {
                if (!bytes.empty()) { emit(bytes, start, end); bytes.clear(); }
                pending_space = true;
            }
        }
        if (!bytes.empty()) emit(bytes, start, end);
        else if (!u_isalnum(c) && u_charType(c) != U_NON_SPACING_MARK) pending_space = true;
    }
    return out;
}

}  // namespace triage::rules
