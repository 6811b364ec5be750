//! Interned strings and value lists of the [`super::CalendarIndex`]: every distinct scope, group,
//! process id, service and environment is stored once and named by a small number.

/// The symbol of "no value" (a release without a group).
pub(super) const NONE: u32 = u32::MAX;

/// Distinct strings, each named by its position.
#[derive(Debug, Clone, Default)]
pub(super) struct Symbols {
    names: Vec<Box<str>>,
    numbers: hashbrown::HashMap<Box<str>, u32>,
}

impl Symbols {
    /// The symbol of `s`, added when new.
    pub(super) fn intern(&mut self, s: &str) -> u32 {
        if let Some(n) = self.numbers.get(s) {
            return *n;
        }
        let n = u32::try_from(self.names.len()).unwrap_or(NONE - 1);
        self.names.push(s.into());
        self.numbers.insert(s.into(), n);
        n
    }

    /// The symbol of `s`, if the index has seen it.
    pub(super) fn get(&self, s: &str) -> Option<u32> {
        self.numbers.get(s).copied()
    }

    /// The string of a symbol.
    pub(super) fn name(&self, n: u32) -> &str {
        self.names.get(n as usize).map_or("", |s| s)
    }
}

/// Distinct lists of symbols (the services or environments of a release), each named by its
/// position; list 0 is the empty list.
#[derive(Debug, Clone)]
pub(super) struct ValueLists {
    lists: Vec<Box<[u32]>>,
    numbers: hashbrown::HashMap<Box<[u32]>, u32>,
}

impl Default for ValueLists {
    fn default() -> Self {
        let empty: Box<[u32]> = Box::new([]);
        ValueLists { lists: vec![empty.clone()], numbers: [(empty, 0)].into_iter().collect() }
    }
}

impl ValueLists {
    /// The number of `values`, added when new.
    pub(super) fn intern(&mut self, values: &[u32]) -> u32 {
        if let Some(n) = self.numbers.get(values) {
            return *n;
        }
        let n = u32::try_from(self.lists.len()).unwrap_or(u32::MAX);
        self.lists.push(values.into());
        self.numbers.insert(values.into(), n);
        n
    }

    /// The values of list `n`.
    pub(super) fn values(&self, n: u32) -> &[u32] {
        self.lists.get(n as usize).map_or(&[], |l| l)
    }
}
