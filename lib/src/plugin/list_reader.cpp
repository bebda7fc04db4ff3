// decode_list: the List reply read straight from nlohmann's SAX events, without a DOM (a std::map
// per volume, the key scans of json_fields::find and the string copies took 90% of a 10,000-volume
// `dvdcli list`), deciding every reply itself as the other decoders do over a DOM.
#include "plugin/plugin_codec.hpp"

#include "core/json_fields.hpp"
#include "core/json_reply.hpp"
#include "plugin/rfc3339.hpp"

#include <volumecli/error.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace volumecli::codec {

namespace {

using nlohmann::json;

// A field read as a string: its value, or the JSON type it had instead. Null reads as absent.
struct StringField {
    json_fields::KeyChoice key;
    std::string value;
    const char* wrong_type = nullptr;

    void reset()
    {
        key.reset();
        value.clear();
        wrong_type = nullptr;
    }
};

// What a volume's keys gave, decided when its object ends.
struct VolumeFields {
    StringField name;
    StringField mountpoint;
    StringField created_at;
    json_fields::KeyChoice status_key;
    std::optional<std::string> status_json;
    const char* status_wrong_type = nullptr;

    // For the next volume: cheaper than a new VolumeFields, a string less built per field.
    void reset()
    {
        name.reset();
        mountpoint.reset();
        created_at.reset();
        status_key.reset();
        status_json.reset();
        status_wrong_type = nullptr;
    }
};

// nlohmann's SAX interface; returning false stops the parse, only for the limits and malformed
// JSON. Everything else is decided by result() once the whole body has been read, so that an
// error of JSON anywhere wins over a field of the wrong type, as with a DOM.
class ListReader {
public:
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using string_t = json::string_t;
    using binary_t = json::binary_t;

    bool null() { return scalar("null", json()); }
    bool boolean(bool value) { return scalar("boolean", json(value)); }
    bool number_integer(number_integer_t value) { return scalar("number", json(value)); }
    bool number_unsigned(number_unsigned_t value) { return scalar("number", json(value)); }
    bool number_float(number_float_t value, const string_t& /*text*/) { return scalar("number", json(value)); }
    bool binary(binary_t& /*value*/) { return false; }  // never produced by JSON text

    bool string(string_t& value)
    {
        if (!m_limits.count_value()) {
            return false;
        }
        if (m_skip_depth > 0) {
            return true;
        }
        if (in_status()) {
            return add_to_status(json(std::move(value)));
        }
        if (in_field()) {
            set_string(std::move(value));
        } else {
            unread_value("string");
        }
        return true;
    }

    bool start_object(std::size_t /*elements*/)
    {
        if (const auto handled = open_anywhere(json::value_t::object)) {
            return *handled;
        }
        switch (m_level) {
            case Level::before: m_level = Level::reply; return true;
            case Level::volumes: return open_volume();
            case Level::reply:
            case Level::volume:
                if (m_slot == Slot::status) {
                    m_status = json::object();
                    m_status_path.push_back(&m_status);
                    return true;
                }
                set_wrong_type("object");
                return skip();
            case Level::after: return false;
        }
        return false;
    }

    bool start_array(std::size_t /*elements*/)
    {
        if (const auto handled = open_anywhere(json::value_t::array)) {
            return *handled;
        }
        if (in_field()) {
            if (m_slot == Slot::volumes) {
                m_level = Level::volumes;
                return true;
            }
            set_wrong_type("array");
        } else {
            unread_value("array");
        }
        return skip();
    }

    bool key(string_t& name)
    {
        if (m_skip_depth > 0) {
            return true;
        }
        if (in_status()) {
            m_status_key = std::move(name);
            return true;
        }
        m_slot = m_level == Level::reply ? reply_slot(name) : volume_slot(name);
        return true;
    }

    bool end_object()
    {
        if (closed_nested()) {
            return true;
        }
        if (m_level == Level::volume) {
            close_volume();
            m_level = Level::volumes;
        } else {
            m_level = Level::after;
        }
        return true;
    }

    bool end_array()
    {
        if (!closed_nested()) {
            m_level = Level::reply;  // the end of Volumes
        }
        return true;
    }

    bool parse_error(std::size_t position, const std::string& /*token*/, const json::exception& error)
    {
        return m_limits.parse_error(position, error);
    }

    [[nodiscard]] const std::string& error() const { return m_limits.error(); }

    // The reply, once the parse read the whole body; throws ProtocolError as the DOM decoders
    // would, checking the reply, then Err, then Volumes, then each volume in order.
    ListReply result()
    {
        if (m_root_type != nullptr) {
            throw ProtocolError(std::string("reply is a JSON ") + m_root_type + ", not an object");
        }
        throw_if_wrong_type("Err", m_err);
        ListReply reply;
        if (!m_err.value.empty()) {
            reply.err = std::move(m_err.value);
            return reply;
        }
        if (m_volumes_wrong_type != nullptr) {
            throw ProtocolError(std::string("reply field Volumes is a JSON ") + m_volumes_wrong_type +
                                ", not an array");
        }
        if (m_volume_error) {
            throw ProtocolError(*m_volume_error);
        }
        reply.volumes = std::move(m_volumes);
        return reply;
    }

private:
    // Where the parse is, outside skipped values and Status.
    enum class Level { before, reply, volumes, volume, after };
    // What the value after the last key of the reply or of a volume is read as.
    enum class Slot { ignored, err, volumes, name, mountpoint, created_at, status };

    Slot reply_slot(const std::string& key)
    {
        if (json_fields::names_field(key, "Err")) {
            return take_string(m_err, key, "Err", Slot::err);
        }
        if (json_fields::names_field(key, "Volumes")) {
            if (!m_volumes_key.takes(key, "Volumes")) {
                return Slot::ignored;
            }
            m_volumes.clear();
            m_volumes_wrong_type = nullptr;
            m_volume_error.reset();
            return Slot::volumes;
        }
        return Slot::ignored;
    }

    Slot volume_slot(const std::string& key)
    {
        if (json_fields::names_field(key, "Name")) {
            return take_string(m_volume.name, key, "Name", Slot::name);
        }
        if (json_fields::names_field(key, "Mountpoint")) {
            return take_string(m_volume.mountpoint, key, "Mountpoint", Slot::mountpoint);
        }
        if (json_fields::names_field(key, "CreatedAt")) {
            return take_string(m_volume.created_at, key, "CreatedAt", Slot::created_at);
        }
        if (json_fields::names_field(key, "Status")) {
            if (!m_volume.status_key.takes(key, "Status")) {
                return Slot::ignored;
            }
            m_volume.status_json.reset();
            m_volume.status_wrong_type = nullptr;
            return Slot::status;
        }
        return Slot::ignored;
    }

    // `key` names the string field `field` reads: the slot of its value, unless another key
    // counts for that field.
    template <std::size_t Size>
    static Slot take_string(StringField& field, const std::string& key, const char (&name)[Size], Slot slot)
    {
        if (!field.key.takes(key, name)) {
            return Slot::ignored;
        }
        field.value.clear();
        field.wrong_type = nullptr;
        return slot;
    }

    StringField* string_field()
    {
        switch (m_slot) {
            case Slot::err: return &m_err;
            case Slot::name: return &m_volume.name;
            case Slot::mountpoint: return &m_volume.mountpoint;
            case Slot::created_at: return &m_volume.created_at;
            case Slot::ignored:
            case Slot::volumes:
            case Slot::status: return nullptr;
        }
        return nullptr;
    }

    // A string directly inside the reply or a volume.
    void set_string(std::string&& value)
    {
        if (StringField* field = string_field()) {
            field->value = std::move(value);
        } else {
            set_wrong_type("string");
        }
    }

    // A value of `type` (not a string, not null) directly inside the reply or a volume.
    void set_wrong_type(const char* type)
    {
        if (StringField* field = string_field()) {
            field->wrong_type = type;
        } else if (m_slot == Slot::volumes) {
            m_volumes_wrong_type = type;
        } else if (m_slot == Slot::status) {
            m_volume.status_wrong_type = type;
        }
    }

    // A value that is not under a key: the reply itself, or an element of Volumes.
    void unread_value(const char* type)
    {
        if (m_level == Level::before) {
            m_root_type = type;
            m_level = Level::after;
        } else if (m_level == Level::volumes && !m_volume_error) {
            m_volume_error = std::string("volume in reply is a JSON ") + type + ", not an object";
        }
    }

    // A number, a boolean or null: kept in Status, else read where its place says.
    bool scalar(const char* type, json&& value)
    {
        if (!m_limits.count_value()) {
            return false;
        }
        if (m_skip_depth > 0) {
            return true;
        }
        if (in_status()) {
            return add_to_status(std::move(value));
        }
        if (!in_field()) {
            unread_value(type);
        } else if (!value.is_null()) {
            set_wrong_type(type);
        }
        // A null field reads as an absent one: the key already cleared what the field held.
        return true;
    }

    // Directly inside the reply or a volume, where the last key says what a value is.
    bool in_field() const { return m_level == Level::reply || m_level == Level::volume; }

    // What opening a container means wherever it stands: the limits, inside a skipped value,
    // inside Status. nullopt when its place in the reply decides.
    std::optional<bool> open_anywhere(json::value_t type)
    {
        if (!m_limits.open_container(static_cast<std::size_t>(m_depth))) {
            return false;
        }
        ++m_depth;
        if (m_skip_depth > 0) {
            ++m_skip_depth;
            return true;
        }
        if (in_status()) {
            return open_in_status(type);
        }
        return std::nullopt;
    }

    // The container just opened is not read: its values are only counted.
    bool skip()
    {
        m_skip_depth = 1;
        return true;
    }

    // An object in Volumes. After a bad volume, the ones that follow cannot change the result.
    bool open_volume()
    {
        if (m_volume_error) {
            return skip();
        }
        m_level = Level::volume;
        m_volume.reset();
        return true;
    }

    // The volume's object ended: the volume, or the error for its first bad field.
    void close_volume()
    {
        VolumeFields& fields = m_volume;
        const std::pair<const char*, const StringField*> strings[] = {
            {"Name", &fields.name}, {"Mountpoint", &fields.mountpoint}, {"CreatedAt", &fields.created_at}};
        for (const auto& [name, field] : strings) {
            if (field->wrong_type != nullptr) {
                m_volume_error = wrong_type_message(name, field->wrong_type);
                return;
            }
        }
        const std::string& created_at = fields.created_at.value;
        if (!created_at.empty() && !is_rfc3339(created_at)) {
            m_volume_error =
                "volume \"" + fields.name.value + "\": CreatedAt \"" + created_at + "\" is not an RFC 3339 time";
            return;
        }
        if (fields.status_wrong_type != nullptr) {
            m_volume_error = "volume \"" + fields.name.value + "\": Status is a JSON " + fields.status_wrong_type +
                             ", not an object";
            return;
        }
        Volume& volume = m_volumes.emplace_back();
        volume.name = std::move(fields.name.value);
        volume.mountpoint = std::move(fields.mountpoint.value);
        if (!created_at.empty()) {
            volume.created_at = std::move(fields.created_at.value);
        }
        volume.status_json = std::move(fields.status_json);
    }

    static std::string wrong_type_message(const char* name, const char* type)
    {
        return std::string("reply field ") + name + " is a JSON " + type + ", not a string";
    }

    static void throw_if_wrong_type(const char* name, const StringField& field)
    {
        if (field.wrong_type != nullptr) {
            throw ProtocolError(wrong_type_message(name, field.wrong_type));
        }
    }

    bool in_status() const { return !m_status_path.empty(); }

    // As nlohmann's DOM parser does: obj[key] = value, so a repeated key keeps its last value.
    json& status_member(json&& value)
    {
        json& parent = *m_status_path.back();
        if (parent.is_object()) {
            json& member = parent[std::move(m_status_key)];
            member = std::move(value);
            return member;
        }
        parent.push_back(std::move(value));
        return parent.back();
    }

    // The end of an object or array inside a skipped value or inside Status (which is entered
    // only by its object, so leaving Status keeps its text); false for one of the reply's own.
    bool closed_nested()
    {
        --m_depth;
        if (m_skip_depth > 0) {
            --m_skip_depth;
            return true;
        }
        if (!in_status()) {
            return false;
        }
        m_status_path.pop_back();
        if (!in_status()) {
            m_volume.status_json = m_status.dump();
        }
        return true;
    }

    bool add_to_status(json&& value)
    {
        status_member(std::move(value));
        return true;
    }

    bool open_in_status(json::value_t type)
    {
        m_status_path.push_back(&status_member(json(type)));
        return true;
    }

    json_reply::detail::ReplyLimits m_limits;
    Level m_level = Level::before;
    Slot m_slot = Slot::ignored;
    int m_depth = 0;                    // containers open
    int m_skip_depth = 0;               // containers open inside a value that is not read
    const char* m_root_type = nullptr;  // the reply's JSON type when it is not an object
    StringField m_err;
    json_fields::KeyChoice m_volumes_key;
    const char* m_volumes_wrong_type = nullptr;
    std::vector<Volume> m_volumes;
    std::optional<std::string> m_volume_error;  // the first bad volume's
    VolumeFields m_volume;                      // the volume being read
    json m_status;
    std::vector<json*> m_status_path;  // the open containers of Status, outermost first
    std::string m_status_key;
};

}  // namespace

ListReply decode_list(const std::string& body)
{
    ListReader reader;
    if (std::string error = json_reply::sax_parse(body, reader); !error.empty()) {
        throw ProtocolError(error);
    }
    return reader.result();
}

}  // namespace volumecli::codec
