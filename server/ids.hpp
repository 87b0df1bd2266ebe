#pragma once
// Random identifiers: conversation ids (UUID v4) and resume tokens. Neither says anything about
// the patient, so both may appear in logs; the token is a secret and never does.

#include <string>

namespace triage::server {

std::string new_uuid();           // "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
std::string new_resume_token();   // 32 random bytes, base64url without padding
bool looks_like_uuid(const std::string& s);

}  // namespace triage::server
