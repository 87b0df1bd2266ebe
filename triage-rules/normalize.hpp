#pragma once
// Text normalisation for matching: NFKC, case folding, accent folding, invisible-character
// removal, punctuation to spaces. Keeps a map back to byte offsets in the original text so that
// matched spans can be shown to staff exactly as the patient wrote them.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace triage::rules {

struct normalized_text {
    std::string text;                 // lower-case ASCII-ish words separated by single spaces
    std::vector<std::size_t> origin;  // origin[i]: byte offset in the input of text[i]
    std::vector<std::size_t> origin_end;  // one past the last input byte that produced text[i]
    // Set when ICU could not be loaded or memory ran out: the text is incomplete and must not be
    // trusted to hold no red flag. The engine turns it into a failed (escalated) assessment.
    bool failed = false;
};

// Never throws; invalid UTF-8 sequences are treated as separators. Idempotent on its own output.
normalized_text normalize(std::string_view input);

}  // namespace triage::rules
