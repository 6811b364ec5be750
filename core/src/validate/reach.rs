//! Linear-time graph algorithms over dependency graphs (phases of a list, activities of a phase):
//! strongly connected components (Tarjan, without recursion), one named cycle per component, and
//! batched reachability ("does `a` run after `b`?").
//!
//! Bounds, for a graph of `n` nodes and `e` edges: components and cycles take O(n + e);
//! answering reachability queries about `t` distinct target nodes takes O((n + e) · ⌈t / 64⌉) time
//! and O(n) memory (targets are taken 64 at a time, one bit each, and propagated once over the
//! graph in dependency order).

use std::collections::{HashMap, VecDeque};

/// A directed graph over nodes `0..n`, its edges stored per node (`a → b`: `a` depends on `b`).
pub struct Digraph {
    offsets: Vec<usize>,
    targets: Vec<usize>,
}

/// The strongly connected components of a [`Digraph`].
pub struct Components {
    /// The component of each node. Components are numbered so that every component a node can
    /// reach has a number no larger than its own (reverse topological order).
    pub of: Vec<usize>,
    /// How many nodes each component has.
    pub size: Vec<usize>,
}

impl Digraph {
    /// A graph of `n` nodes with the edges `edges(i)` out of each node `i` (targets must be `< n`).
    pub fn new<I: IntoIterator<Item = usize>>(n: usize, mut edges: impl FnMut(usize) -> I) -> Self {
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::new();
        offsets.push(0);
        for i in 0..n {
            targets.extend(edges(i).into_iter().filter(|&t| t < n));
            offsets.push(targets.len());
        }
        Digraph { offsets, targets }
    }

    /// How many nodes the graph has.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The nodes `node` has an edge to.
    pub fn edges(&self, node: usize) -> &[usize] {
        &self.targets[self.offsets[node]..self.offsets[node + 1]]
    }

    /// Tarjan's strongly connected components, with an explicit stack.
    pub fn components(&self) -> Components {
        let n = self.len();
        let mut t = Tarjan {
            index: vec![UNSEEN; n],
            low: vec![0; n],
            on_stack: vec![false; n],
            stack: Vec::new(),
            calls: Vec::new(),
            next: 0,
            comps: Components { of: vec![UNSEEN; n], size: Vec::new() },
        };
        for root in 0..n {
            if t.index[root] != UNSEEN {
                continue;
            }
            t.enter(root);
            while let Some(&mut (v, ref mut pos)) = t.calls.last_mut() {
                if let Some(&w) = self.edges(v).get(*pos) {
                    *pos += 1;
                    if t.index[w] == UNSEEN {
                        t.enter(w);
                    } else if t.on_stack[w] {
                        t.low[v] = t.low[v].min(t.index[w]);
                    }
                    continue;
                }
                t.calls.pop();
                if let Some(&(u, _)) = t.calls.last() {
                    t.low[u] = t.low[u].min(t.low[v]);
                }
                if t.low[v] == t.index[v] {
                    t.close(v);
                }
            }
        }
        t.comps
    }

    /// One cycle per component of more than one node, each starting at the component's first node
    /// (the smallest index) and following edges to a shortest way back to it; ordered by that
    /// first node. Self-loops are not cycles here (they are reported on their own).
    pub fn cycles(&self, comps: &Components) -> Vec<Vec<usize>> {
        let mut first: Vec<Option<usize>> = vec![None; comps.size.len()];
        for (v, &c) in comps.of.iter().enumerate() {
            if comps.size[c] > 1 && first[c].is_none() {
                first[c] = Some(v);
            }
        }
        let mut starts: Vec<usize> = first.into_iter().flatten().collect();
        starts.sort_unstable();
        let mut parent: HashMap<usize, usize> = HashMap::new();
        starts
            .into_iter()
            .map(|start| {
                parent.clear();
                let c = comps.of[start];
                let mut queue = VecDeque::from([start]);
                let mut last = start;
                'search: while let Some(v) = queue.pop_front() {
                    for &w in self.edges(v) {
                        if comps.of[w] != c {
                            continue;
                        }
                        if w == start && v != start {
                            last = v;
                            break 'search;
                        }
                        if w != start && !parent.contains_key(&w) {
                            parent.insert(w, v);
                            queue.push_back(w);
                        }
                    }
                }
                let mut cycle = vec![last];
                while let Some(&p) = parent.get(cycle.last().unwrap_or(&start)) {
                    cycle.push(p);
                }
                if cycle.last() != Some(&start) {
                    cycle.push(start);
                }
                cycle.reverse();
                cycle
            })
            .collect()
    }

    /// For each query `(from, to)`: whether `to` can be reached from `from` by following one edge
    /// or more. See the module docs for the cost.
    pub fn reachable(&self, comps: &Components, queries: &[(usize, usize)]) -> Vec<bool> {
        let count = comps.size.len();
        let mut answers = vec![false; queries.len()];
        // Distinct target components, 64 to a block, each with its bit.
        let mut slot: HashMap<usize, usize> = HashMap::new();
        let mut pending: Vec<Vec<usize>> = Vec::new();
        for (q, &(from, to)) in queries.iter().enumerate() {
            let (cf, ct) = (comps.of[from], comps.of[to]);
            if cf == ct {
                answers[q] = comps.size[cf] > 1 || self.edges(from).contains(&from);
                continue;
            }
            let next = slot.len();
            let s = *slot.entry(ct).or_insert(next);
            if s / 64 >= pending.len() {
                pending.push(Vec::new());
            }
            pending[s / 64].push(q);
        }
        let mut targets_of_block: Vec<Vec<(usize, usize)>> = vec![Vec::new(); pending.len()];
        for (&c, &s) in &slot {
            targets_of_block[s / 64].push((c, s % 64));
        }
        // The nodes of each component (grouped by a counting sort), to walk the graph component by
        // component.
        let mut start = vec![0usize; count + 1];
        for &c in &comps.of {
            start[c + 1] += 1;
        }
        for c in 0..count {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut members = vec![0usize; comps.of.len()];
        for (v, &c) in comps.of.iter().enumerate() {
            members[fill[c]] = v;
            fill[c] += 1;
        }
        let mut own = vec![0u64; count];
        let mut reach = vec![0u64; count];
        for (block, block_queries) in pending.iter().enumerate() {
            own.iter_mut().for_each(|b| *b = 0);
            for &(c, bit) in &targets_of_block[block] {
                own[c] |= 1 << bit;
            }
            // Components in increasing number: everything a component reaches comes before it.
            for c in 0..count {
                let mut bits = 0u64;
                for &v in &members[start[c]..start[c + 1]] {
                    for &w in self.edges(v) {
                        let cw = comps.of[w];
                        if cw != c {
                            bits |= reach[cw] | own[cw];
                        }
                    }
                }
                reach[c] = bits;
            }
            for &q in block_queries {
                let (from, to) = queries[q];
                let s = slot[&comps.of[to]];
                answers[q] = reach[comps.of[from]] & (1 << (s % 64)) != 0;
            }
        }
        answers
    }
}

const UNSEEN: usize = usize::MAX;

/// The state of Tarjan's algorithm.
struct Tarjan {
    index: Vec<usize>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    /// The nodes being visited, each with the position of its next edge.
    calls: Vec<(usize, usize)>,
    next: usize,
    comps: Components,
}

impl Tarjan {
    fn enter(&mut self, v: usize) {
        self.index[v] = self.next;
        self.low[v] = self.next;
        self.next += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        self.calls.push((v, 0));
    }

    /// Pops the component whose first visited node is `v`.
    fn close(&mut self, v: usize) {
        let c = self.comps.size.len();
        let mut members = 0;
        while let Some(w) = self.stack.pop() {
            self.on_stack[w] = false;
            self.comps.of[w] = c;
            members += 1;
            if w == v {
                break;
            }
        }
        self.comps.size.push(members);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(n: usize, edges: &[(usize, usize)]) -> Digraph {
        Digraph::new(n, |i| edges.iter().filter(move |(a, _)| *a == i).map(|(_, b)| *b).collect::<Vec<_>>())
    }

    #[test]
    fn components_and_cycles() {
        // 0 → 1 → 2 → 0 is a cycle; 3 → 4 → 3 another; 5 depends on both; 6 loops on itself.
        let g = graph(7, &[(0, 1), (1, 2), (2, 0), (3, 4), (4, 3), (5, 0), (5, 3), (6, 6)]);
        let comps = g.components();
        assert_eq!(comps.of[0], comps.of[2]);
        assert_ne!(comps.of[0], comps.of[3]);
        assert!(comps.of[5] > comps.of[0] && comps.of[5] > comps.of[3], "reverse topological numbering");
        assert_eq!(g.cycles(&comps), vec![vec![0, 1, 2], vec![3, 4]]);
    }

    #[test]
    fn cycles_go_through_the_first_node_by_a_shortest_way() {
        // 0 → 1 → 2 → 3 → 0 and a shortcut 1 → 3.
        let g = graph(4, &[(0, 1), (1, 2), (2, 3), (3, 0), (1, 3)]);
        assert_eq!(g.cycles(&g.components()), vec![vec![0, 1, 3]]);
    }

    #[test]
    fn reachability_matches_a_plain_search() {
        // A pseudo-random graph with cycles, over more than 64 targets (two blocks and more).
        let n = 300;
        let mut seed = 7u64;
        let mut edges = Vec::new();
        for a in 0..n {
            for _ in 0..2 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let b = (seed >> 33) as usize % n;
                if (seed >> 20) % 5 != 0 || b < a {
                    edges.push((a, b));
                }
            }
        }
        let g = graph(n, &edges);
        let comps = g.components();
        let queries: Vec<(usize, usize)> = (0..n).flat_map(|a| (0..n).step_by(3).map(move |b| (a, b))).collect();
        let got = g.reachable(&comps, &queries);
        for (&(from, to), &answer) in queries.iter().zip(&got) {
            let mut seen = vec![false; n];
            let mut stack: Vec<usize> = g.edges(from).to_vec();
            while let Some(v) = stack.pop() {
                if !seen[v] {
                    seen[v] = true;
                    stack.extend_from_slice(g.edges(v));
                }
            }
            assert_eq!(answer, seen[to], "{from} → {to}");
        }
    }

    #[test]
    fn long_chains_need_no_recursion() {
        let n = 200_000;
        let g = Digraph::new(n, |i| if i + 1 < n { vec![i + 1] } else { vec![0] });
        let comps = g.components();
        assert_eq!(comps.size, vec![n]);
        assert_eq!(g.cycles(&comps)[0].len(), n);
        let chain = Digraph::new(n, |i| i.checked_sub(1));
        let comps = chain.components();
        assert_eq!(chain.reachable(&comps, &[(n - 1, 0), (0, n - 1)]), vec![true, false]);
    }
}
