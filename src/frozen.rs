//! A compact, immutable JSON value for the objects a [`Snapshot`](crate::snapshot::Snapshot)
//! holds while the checks run.
//!
//! Why not `serde_json::Value`: its objects are `BTreeMap`s, and every map, however small, costs a
//! B-tree leaf of ~630 bytes. A pod has 20–30 small maps (each container, condition, volume mount),
//! so 3,000 pods cost ~65 MiB as `Value`s, for 7.6 MB of JSON. Here an object is one sorted slice
//! of (key, value) pairs, a value is 24 bytes, and strings are shared through an [`Interner`]
//! (keys, `"True"`, image names and timestamps repeat across thousands of objects). Lookups are
//! binary searches; serialization gives the same bytes as the `Value` it was made from.
//!
//! [`JsonRead`] is the reading interface both kinds of value share, so helpers that look at pod
//! labels or metadata serve the collector (which holds `serde_json::Value`s it redacts and writes)
//! and the checks (which read frozen snapshots) alike.

use std::collections::HashSet;
use std::fmt;
use std::ops::Index;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Number, Value};

/// An immutable JSON value. Objects keep their keys sorted (serde_json's default order).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum FrozenValue {
    /// `null`.
    #[default]
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, exactly as parsed.
    Number(Number),
    /// A string (shared with equal strings of the same snapshot).
    String(Arc<str>),
    /// An array.
    Array(Box<[FrozenValue]>),
    /// An object.
    Object(FrozenMap),
}

/// The entries of a JSON object, sorted by key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FrozenMap(Box<[(Arc<str>, FrozenValue)]>);

static NULL: FrozenValue = FrozenValue::Null;

impl FrozenMap {
    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&FrozenValue> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key)).ok().map(|i| &self.0[i].1)
    }

    /// Whether the key is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FrozenValue)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| &**k)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What [`FrozenValue::get`] accepts: an object key or an array index, like `serde_json`'s.
pub trait FrozenIndex {
    /// The value this index selects in `v`.
    fn select<'v>(&self, v: &'v FrozenValue) -> Option<&'v FrozenValue>;
}

impl FrozenIndex for str {
    fn select<'v>(&self, v: &'v FrozenValue) -> Option<&'v FrozenValue> {
        v.as_object()?.get(self)
    }
}

impl FrozenIndex for String {
    fn select<'v>(&self, v: &'v FrozenValue) -> Option<&'v FrozenValue> {
        self.as_str().select(v)
    }
}

impl FrozenIndex for usize {
    fn select<'v>(&self, v: &'v FrozenValue) -> Option<&'v FrozenValue> {
        v.as_array()?.get(*self)
    }
}

impl<T: FrozenIndex + ?Sized> FrozenIndex for &T {
    fn select<'v>(&self, v: &'v FrozenValue) -> Option<&'v FrozenValue> {
        (**self).select(v)
    }
}

impl FrozenValue {
    /// A field of an object or an element of an array.
    pub fn get<I: FrozenIndex>(&self, index: I) -> Option<&FrozenValue> {
        index.select(self)
    }

    /// The value at a JSON pointer (RFC 6901: `/metadata/labels/openebs.io~1version`).
    pub fn pointer(&self, pointer: &str) -> Option<&FrozenValue> {
        read_pointer(self, pointer)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FrozenValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            FrozenValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as i64, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            FrozenValue::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The number as u64, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            FrozenValue::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The number as f64.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FrozenValue::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[FrozenValue]> {
        match self {
            FrozenValue::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if this is an object.
    pub fn as_object(&self) -> Option<&FrozenMap> {
        match self {
            FrozenValue::Object(map) => Some(map),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, FrozenValue::Null)
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, FrozenValue::Object(_))
    }

    /// Back to a `serde_json::Value` (for evidence and reports built with `json!`).
    pub fn to_json(&self) -> Value {
        match self {
            FrozenValue::Null => Value::Null,
            FrozenValue::Bool(b) => Value::Bool(*b),
            FrozenValue::Number(n) => Value::Number(n.clone()),
            FrozenValue::String(s) => Value::String(s.to_string()),
            FrozenValue::Array(items) => Value::Array(items.iter().map(FrozenValue::to_json).collect()),
            FrozenValue::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.to_string(), v.to_json())).collect()),
        }
    }

    /// Freeze a value with a fresh interner (tests and one-off values; a snapshot shares one
    /// [`Interner`] across all its objects).
    pub fn freeze(value: Value) -> FrozenValue {
        Interner::default().freeze(value)
    }
}

impl Index<&str> for FrozenValue {
    type Output = FrozenValue;
    /// Like `serde_json`: a missing key (or a non-object) reads as `null`.
    fn index(&self, key: &str) -> &FrozenValue {
        self.get(key).unwrap_or(&NULL)
    }
}

impl Index<usize> for FrozenValue {
    type Output = FrozenValue;
    fn index(&self, i: usize) -> &FrozenValue {
        self.get(i).unwrap_or(&NULL)
    }
}

impl PartialEq<str> for FrozenValue {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for FrozenValue {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<bool> for FrozenValue {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

impl PartialEq<Value> for FrozenValue {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (FrozenValue::Null, Value::Null) => true,
            (FrozenValue::Bool(a), Value::Bool(b)) => a == b,
            (FrozenValue::Number(a), Value::Number(b)) => a == b,
            (FrozenValue::String(a), Value::String(b)) => **a == **b,
            (FrozenValue::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y),
            (FrozenValue::Object(a), Value::Object(b)) => {
                a.len() == b.len() && b.iter().all(|(k, v)| a.get(k).is_some_and(|x| x == v))
            }
            _ => false,
        }
    }
}

impl Serialize for FrozenValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FrozenValue::Null => s.serialize_unit(),
            FrozenValue::Bool(b) => s.serialize_bool(*b),
            FrozenValue::Number(n) => n.serialize(s),
            FrozenValue::String(v) => s.serialize_str(v),
            FrozenValue::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            FrozenValue::Object(map) => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (k, v) in map.iter() {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

/// Compact JSON text, as `serde_json::Value`'s `Display` gives it.
impl fmt::Display for FrozenValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

/// Strings up to this length are shared; longer ones (messages, scripts, certificates) rarely
/// repeat and would only grow the table.
const MAX_INTERNED_LEN: usize = 128;

/// Shares equal strings (keys and values) between the values frozen through it.
#[derive(Debug, Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> Arc<str> {
        if s.len() > MAX_INTERNED_LEN {
            return Arc::from(s);
        }
        if let Some(shared) = self.strings.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(s);
        self.strings.insert(shared.clone());
        shared
    }

    /// Freeze a value, consuming it (so its memory is returned as the frozen copy grows).
    pub fn freeze(&mut self, value: Value) -> FrozenValue {
        match value {
            Value::Null => FrozenValue::Null,
            Value::Bool(b) => FrozenValue::Bool(b),
            Value::Number(n) => FrozenValue::Number(n),
            Value::String(s) => FrozenValue::String(self.intern(&s)),
            Value::Array(items) => FrozenValue::Array(items.into_iter().map(|v| self.freeze(v)).collect()),
            Value::Object(map) => {
                let mut entries: Vec<(Arc<str>, FrozenValue)> =
                    map.into_iter().map(|(k, v)| (self.intern(&k), self.freeze(v))).collect();
                // Already sorted unless some dependency turns on serde_json's `preserve_order`.
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                FrozenValue::Object(FrozenMap(entries.into_boxed_slice()))
            }
        }
    }
}

/// Reading a JSON document, whichever representation holds it.
pub trait JsonRead: Sized {
    /// A field of an object.
    fn field(&self, key: &str) -> Option<&Self>;
    /// An element of an array.
    fn element(&self, index: usize) -> Option<&Self>;
    /// The string, if this is one.
    fn text(&self) -> Option<&str>;
    /// The value at a JSON pointer (RFC 6901).
    fn at_pointer(&self, pointer: &str) -> Option<&Self> {
        read_pointer(self, pointer)
    }
}

fn read_pointer<'v, V: JsonRead>(v: &'v V, pointer: &str) -> Option<&'v V> {
    if pointer.is_empty() {
        return Some(v);
    }
    let rest = pointer.strip_prefix('/')?;
    rest.split('/').try_fold(v, |v, token| {
        let token = token.replace("~1", "/").replace("~0", "~");
        match v.field(&token) {
            Some(found) => Some(found),
            None => token.parse::<usize>().ok().and_then(|i| v.element(i)),
        }
    })
}

impl JsonRead for Value {
    fn field(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
    fn element(&self, index: usize) -> Option<&Value> {
        self.get(index)
    }
    fn text(&self) -> Option<&str> {
        self.as_str()
    }
}

impl JsonRead for FrozenValue {
    fn field(&self, key: &str) -> Option<&FrozenValue> {
        self.get(key)
    }
    fn element(&self, index: usize) -> Option<&FrozenValue> {
        self.get(index)
    }
    fn text(&self) -> Option<&str> {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "openebs", "labels": {"openebs.io/version": "4.1.0", "app": "x"},
                         "annotations": {"a~b": "tilde"}},
            "spec": {"containers": [{"name": "c", "image": "openebs/io-engine:4.1.0"}], "nodeName": "n1"},
            "status": {"phase": "Running", "restartCount": 3, "ratio": 0.5, "neg": -2, "ok": true, "gone": null,
                       "empty": {}, "none": []}
        })
    }

    #[test]
    fn is_small() {
        assert_eq!(std::mem::size_of::<FrozenValue>(), 24);
    }

    #[test]
    fn serializes_to_the_same_bytes() {
        let v = sample();
        let f = FrozenValue::freeze(v.clone());
        assert_eq!(serde_json::to_vec(&f).unwrap(), serde_json::to_vec(&v).unwrap());
        assert_eq!(serde_json::to_vec_pretty(&f).unwrap(), serde_json::to_vec_pretty(&v).unwrap());
        assert_eq!(f.to_string(), v.to_string());
        assert_eq!(f.to_json(), v);
        assert_eq!(f, v);
    }

    #[test]
    fn reads_like_serde_json() {
        let v = sample();
        let f = FrozenValue::freeze(v.clone());
        for p in [
            "/metadata/labels/openebs.io~1version",
            "/metadata/annotations/a~0b",
            "/spec/containers/0/image",
            "/status/restartCount",
            "/status/missing",
            "/spec/containers/1",
            "",
            "/status/gone",
        ] {
            assert_eq!(f.pointer(p).map(FrozenValue::to_json), v.pointer(p).cloned(), "{p}");
            assert_eq!(v.at_pointer(p), v.pointer(p), "{p}");
        }
        assert_eq!(f["status"]["phase"], "Running");
        assert!(f["status"]["missing"]["deeper"].is_null());
        assert_eq!(f["spec"]["containers"][0]["name"].as_str(), Some("c"));
        assert_eq!(f["status"]["restartCount"].as_u64(), Some(3));
        assert_eq!(f["status"]["neg"].as_i64(), Some(-2));
        assert_eq!(f["status"]["neg"].as_u64(), None);
        assert_eq!(f["status"]["ratio"].as_f64(), Some(0.5));
        assert_eq!(f["status"]["ok"], true);
        let labels = f.pointer("/metadata/labels").and_then(FrozenValue::as_object).unwrap();
        assert_eq!(labels.keys().collect::<Vec<_>>(), ["app", "openebs.io/version"]);
        assert!(labels.contains_key("app") && !labels.contains_key("zzz"));
        assert!(f["status"]["empty"].as_object().unwrap().is_empty());
        assert_eq!(f["status"]["none"].as_array().map(<[FrozenValue]>::len), Some(0));
    }

    #[test]
    fn equal_strings_are_shared() {
        let mut interner = Interner::default();
        let a = interner.freeze(json!({"status": "True"}));
        let b = interner.freeze(json!({"status": "True"}));
        let (FrozenValue::String(x), FrozenValue::String(y)) = (&a["status"], &b["status"]) else { panic!() };
        assert!(Arc::ptr_eq(x, y));
        let long = "x".repeat(MAX_INTERNED_LEN + 1);
        let c = interner.freeze(json!(long.clone()));
        let d = interner.freeze(json!(long));
        let (FrozenValue::String(x), FrozenValue::String(y)) = (&c, &d) else { panic!() };
        assert!(!Arc::ptr_eq(x, y));
    }
}
