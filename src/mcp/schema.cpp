// mcp/schema.cpp — the JSON Schema validator for tool arguments and tool results (see schema.h for
// the keyword subset). One walk serves both; only the wording of the messages differs.
#include "mcp/schema.h"

#include <cmath>
#include <string_view>

namespace cci::mcp {
namespace {

using rpc::Json;

std::string_view json_type(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool has_type(const Json& v, std::string_view type) {
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    // JSON Schema counts 3.0 as an integer.
    return v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>();
  }
  if (type == "number") return v.is_number();
  return json_type(v) == type;
}

std::string article(std::string_view type) {
  const bool vowel = !type.empty() && std::string_view("aeiou").find(type.front()) != std::string_view::npos;
  return std::string(vowel ? "an " : "a ") + std::string(type);
}

// How messages name what is validated: "argument 'limit'" for arguments, "field 'results[0].id'"
// for structuredContent.
struct Wording {
  std::string_view whole;    // the value itself
  std::string_view part;     // one member of it
  std::string_view unknown;  // after "<part> 'x' is ", for an undeclared member
  std::string_view none;     // in parentheses after that, when the schema declares no members
};

constexpr Wording kArguments{"arguments", "argument", "not a known argument", "this tool takes none"};
constexpr Wording kStructured{"structuredContent", "field", "not declared in the outputSchema", "none declared"};

std::string describe_path(const Wording& w, const std::string& path) {
  return path.empty() ? std::string(w.whole) : std::string(w.part) + " '" + path + "'";
}

std::string join_path(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}

std::string short_json(const Json& v) {
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string number_text(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  return Json(d).dump();
}

void validate(const Json& schema, const Json& v, const std::string& path, const Wording& w,
              std::vector<std::string>& errors) {
  const auto describe = [&w](const std::string& p) { return describe_path(w, p); };
  if (schema.is_boolean()) {
    if (!schema.get<bool>()) errors.push_back(describe(path) + " is not allowed");
    return;
  }
  if (!schema.is_object()) return;

  if (const auto t = schema.find("type"); t != schema.end()) {
    bool ok = false;
    std::string wanted;
    if (t->is_string()) {
      ok = has_type(v, t->get_ref<const std::string&>());
      wanted = article(t->get_ref<const std::string&>());
    } else if (t->is_array()) {
      for (const auto& each : *t) {
        if (!each.is_string()) continue;
        ok = ok || has_type(v, each.get_ref<const std::string&>());
        wanted += (wanted.empty() ? "" : " or ") + article(each.get_ref<const std::string&>());
      }
    } else {
      ok = true;
    }
    if (!ok) {
      errors.push_back(describe(path) + " must be " + wanted + " (got " + std::string(json_type(v)) + ")");
      return;  // the other keywords would only repeat the type mismatch
    }
  }

  if (const auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
    bool found = false;
    for (const auto& option : *e) found = found || option == v;
    if (!found) {
      std::string options;
      for (const auto& option : *e) options += (options.empty() ? "" : ", ") + short_json(option);
      errors.push_back(describe(path) + " must be one of " + options + " (got " + short_json(v) + ")");
    }
  }
  if (const auto c = schema.find("const"); c != schema.end() && *c != v) {
    errors.push_back(describe(path) + " must be " + short_json(*c) + " (got " + short_json(v) + ")");
  }

  if (v.is_number()) {
    const double d = v.get<double>();
    if (const auto m = schema.find("minimum"); m != schema.end() && m->is_number() && d < m->get<double>()) {
      errors.push_back(describe(path) + " must be >= " + number_text(m->get<double>()) + " (got " + short_json(v) + ")");
    }
    if (const auto m = schema.find("maximum"); m != schema.end() && m->is_number() && d > m->get<double>()) {
      errors.push_back(describe(path) + " must be <= " + number_text(m->get<double>()) + " (got " + short_json(v) + ")");
    }
    if (const auto m = schema.find("exclusiveMinimum"); m != schema.end() && m->is_number() && d <= m->get<double>()) {
      errors.push_back(describe(path) + " must be > " + number_text(m->get<double>()) + " (got " + short_json(v) + ")");
    }
    if (const auto m = schema.find("exclusiveMaximum"); m != schema.end() && m->is_number() && d >= m->get<double>()) {
      errors.push_back(describe(path) + " must be < " + number_text(m->get<double>()) + " (got " + short_json(v) + ")");
    }
  }

  if (v.is_string()) {
    // Length in code points, as JSON Schema defines it, not bytes.
    std::size_t length = 0;
    for (const unsigned char ch : v.get_ref<const std::string&>()) length += (ch & 0xC0) != 0x80;
    if (const auto m = schema.find("minLength"); m != schema.end() && m->is_number_unsigned() &&
                                                 length < m->get<std::size_t>()) {
      errors.push_back(describe(path) + " must be at least " + std::to_string(m->get<std::size_t>()) +
                       " characters long");
    }
    if (const auto m = schema.find("maxLength"); m != schema.end() && m->is_number_unsigned() &&
                                                 length > m->get<std::size_t>()) {
      errors.push_back(describe(path) + " must be at most " + std::to_string(m->get<std::size_t>()) +
                       " characters long");
    }
  }

  if (v.is_array()) {
    if (const auto m = schema.find("minItems"); m != schema.end() && m->is_number_unsigned() &&
                                                v.size() < m->get<std::size_t>()) {
      errors.push_back(describe(path) + " must have at least " + std::to_string(m->get<std::size_t>()) + " items");
    }
    if (const auto m = schema.find("maxItems"); m != schema.end() && m->is_number_unsigned() &&
                                                v.size() > m->get<std::size_t>()) {
      errors.push_back(describe(path) + " must have at most " + std::to_string(m->get<std::size_t>()) + " items");
    }
    if (const auto items = schema.find("items"); items != schema.end() && (items->is_object() || items->is_boolean())) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        validate(*items, v[i], (path.empty() ? std::string(w.whole) : path) + "[" + std::to_string(i) + "]", w,
                 errors);
      }
    }
  }

  if (v.is_object()) {
    const auto props = schema.find("properties");
    if (const auto req = schema.find("required"); req != schema.end() && req->is_array()) {
      for (const auto& name : *req) {
        if (name.is_string() && !v.contains(name.get_ref<const std::string&>())) {
          errors.push_back(describe(join_path(path, name.get_ref<const std::string&>())) + " is required");
        }
      }
    }
    const auto additional = schema.find("additionalProperties");
    for (const auto& [key, value] : v.items()) {
      if (props != schema.end() && props->is_object()) {
        if (const auto p = props->find(key); p != props->end()) {
          validate(*p, value, join_path(path, key), w, errors);
          continue;
        }
      }
      if (additional == schema.end()) continue;
      if (additional->is_boolean() && !additional->get<bool>()) {
        std::string known;
        if (props != schema.end() && props->is_object()) {
          for (const auto& [name, unused] : props->items()) known += (known.empty() ? "" : ", ") + name;
        }
        errors.push_back(describe(join_path(path, key)) + " is " + std::string(w.unknown) + " (" +
                         (known.empty() ? std::string(w.none) : "expected: " + known) + ")");
      } else if (additional->is_object()) {
        validate(*additional, value, join_path(path, key), w, errors);
      }
    }
  }

  if (const auto any = schema.find("anyOf"); any != schema.end() && any->is_array() && !any->empty()) {
    std::vector<std::string> first_errors;
    bool matched = false;
    for (const auto& option : *any) {
      std::vector<std::string> option_errors;
      validate(option, v, path, w, option_errors);
      if (option_errors.empty()) {
        matched = true;
        break;
      }
      if (first_errors.empty()) first_errors = std::move(option_errors);
    }
    if (!matched) errors.insert(errors.end(), first_errors.begin(), first_errors.end());
  }
}

}  // namespace

std::vector<std::string> validate_arguments(const Json& schema, const Json& value) {
  std::vector<std::string> errors;
  validate(schema, value, "", kArguments, errors);
  return errors;
}

std::vector<std::string> validate_structured_content(const Json& schema, const Json& value) {
  std::vector<std::string> errors;
  validate(schema, value, "", kStructured, errors);
  return errors;
}

}  // namespace cci::mcp
