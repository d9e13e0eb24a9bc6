#pragma once

#include <string_view>

namespace kd::lc::apiserver::schema {

// The built-in types in the project's compact type language (format described in typetext.cpp).
std::string_view typeText();

} // namespace kd::lc::apiserver::schema
