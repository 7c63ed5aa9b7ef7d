// sla::views::RankTree: an ordered set of unique keys that also answers
// "how many keys are less than k" (rank) in O(log n), for the at-risk index
// of the deadline view (exact totals per group without walking the group).
//
// What it is: a B+tree with a count per child in every inner node. Leaves
// hold up to 63 keys in a sorted array and are linked in key order, so a
// walk from begin() is a scan of arrays, and a lookup touches about
// log64(n) nodes instead of log2(n) (the red-black tree with order
// statistics it replaces, __gnu_pbds::tree, allocates a node per key and
// follows a pointer per level: measured in tests/bench/views).
//
// What it is not: thread-safe (the view keeps two copies and never writes
// one that is being read), or balanced on erase: a leaf or inner node that
// becomes empty is removed, one that becomes sparse stays (an insert into
// its key range fills it again). Keys are copied by value; K needs
// operator< (a strict weak order in which no two keys of the set are
// equivalent) and a default constructor.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>

namespace sla::views {

template <class K>
class RankTree {
  static constexpr unsigned kCap = 64;  // entries per node; a node that reaches it splits
  static constexpr unsigned kMaxHeight = 16;

  struct Node {
    std::uint32_t n = 0;
  };
  struct Leaf : Node {
    Leaf* prev = nullptr;
    Leaf* next = nullptr;
    std::array<K, kCap> keys{};
  };
  // Child i holds keys in [low[i], low[i+1]) for i > 0 (low[i] may be below
  // its smallest key: erase does not raise it), child 0 every key below
  // low[1]; low[0] is never needed to route.
  struct Inner : Node {
    std::array<K, kCap> low{};
    std::array<std::uint32_t, kCap> count{};
    std::array<Node*, kCap> child{};
  };

 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = K;
    using difference_type = std::ptrdiff_t;
    using pointer = const K*;
    using reference = const K&;

    const_iterator() = default;
    const K& operator*() const { return leaf_->keys[i_]; }
    const K* operator->() const { return &leaf_->keys[i_]; }
    const_iterator& operator++() {
      if (++i_ == leaf_->n) {
        leaf_ = leaf_->next;
        i_ = 0;
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator was = *this;
      ++*this;
      return was;
    }
    friend bool operator==(const const_iterator&, const const_iterator&) = default;

   private:
    friend class RankTree;
    const_iterator(const Leaf* leaf, std::uint32_t i) : leaf_(leaf), i_(i) {}
    const Leaf* leaf_ = nullptr;
    std::uint32_t i_ = 0;
  };
  using iterator = const_iterator;

  RankTree() = default;
  ~RankTree() { clear(); }
  RankTree(const RankTree&) = delete;
  RankTree& operator=(const RankTree&) = delete;
  RankTree(RankTree&& o) noexcept
      : root_(std::exchange(o.root_, nullptr)),
        first_(std::exchange(o.first_, nullptr)),
        height_(std::exchange(o.height_, 0U)),
        size_(std::exchange(o.size_, 0U)) {}
  RankTree& operator=(RankTree&& o) noexcept {
    if (this != &o) {
      clear();
      root_ = std::exchange(o.root_, nullptr);
      first_ = std::exchange(o.first_, nullptr);
      height_ = std::exchange(o.height_, 0U);
      size_ = std::exchange(o.size_, 0U);
    }
    return *this;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const_iterator begin() const noexcept { return const_iterator(first_, 0); }
  [[nodiscard]] const_iterator end() const noexcept { return const_iterator(); }

  /// Adds `k`; false (and no change) if an equivalent key is there.
  bool insert(const K& k) {
    if (root_ == nullptr) {
      auto* l = new Leaf;
      l->keys[0] = k;
      l->n = 1;
      root_ = first_ = l;
      height_ = 0;
      size_ = 1;
      return true;
    }
    Path path;
    Leaf* leaf = descend(k, path);
    K* const end = leaf->keys.data() + leaf->n;
    K* const pos = std::lower_bound(leaf->keys.data(), end, k);
    if (pos != end && !(k < *pos)) return false;
    for (unsigned d = 0; d < path.depth; ++d) ++path.node[d]->count[path.at[d]];
    std::move_backward(pos, end, end + 1);
    *pos = k;
    ++leaf->n;
    ++size_;
    if (leaf->n == kCap) split(leaf, path);
    return true;
  }

  /// Removes `k`; false if it is not there.
  bool erase(const K& k) {
    if (root_ == nullptr) return false;
    Path path;
    Leaf* leaf = descend(k, path);
    K* const end = leaf->keys.data() + leaf->n;
    K* const pos = std::lower_bound(leaf->keys.data(), end, k);
    if (pos == end || k < *pos) return false;
    std::move(pos + 1, end, pos);
    --leaf->n;
    --size_;
    for (unsigned d = 0; d < path.depth; ++d) --path.node[d]->count[path.at[d]];
    if (leaf->n == 0) remove_empty_leaf(leaf, path);
    return true;
  }

  /// Keys less than `k`.
  [[nodiscard]] std::size_t order_of_key(const K& k) const {
    if (root_ == nullptr) return 0;
    std::size_t rank = 0;
    const Node* x = root_;
    for (unsigned h = height_; h > 0; --h) {
      const auto* in = static_cast<const Inner*>(x);
      const unsigned i = child_for(in, k);
      for (unsigned j = 0; j < i; ++j) rank += in->count[j];
      x = in->child[i];
    }
    const auto* leaf = static_cast<const Leaf*>(x);
    return rank + static_cast<std::size_t>(std::lower_bound(leaf->keys.data(), leaf->keys.data() + leaf->n, k) -
                                           leaf->keys.data());
  }

  /// Whether `k` is in the set.
  [[nodiscard]] bool contains(const K& k) const {
    if (root_ == nullptr) return false;
    const Node* x = root_;
    for (unsigned h = height_; h > 0; --h) {
      const auto* in = static_cast<const Inner*>(x);
      x = in->child[child_for(in, k)];
    }
    const auto* leaf = static_cast<const Leaf*>(x);
    const K* end = leaf->keys.data() + leaf->n;
    const K* pos = std::lower_bound(leaf->keys.data(), end, k);
    return pos != end && !(k < *pos);
  }

  void clear() noexcept {
    if (root_ != nullptr) destroy(root_, height_);
    root_ = nullptr;
    first_ = nullptr;
    height_ = 0;
    size_ = 0;
  }

  /// Levels above the leaves (tests).
  [[nodiscard]] unsigned height() const noexcept { return height_; }

 private:
  struct Path {
    std::array<Inner*, kMaxHeight> node{};
    std::array<unsigned, kMaxHeight> at{};
    unsigned depth = 0;
  };

  // The last child whose low bound is <= k, or the first.
  static unsigned child_for(const Inner* in, const K& k) {
    const K* lows = in->low.data();
    const K* it = std::upper_bound(lows, lows + in->n, k);
    return it == lows ? 0U : static_cast<unsigned>(it - lows - 1);
  }

  Leaf* descend(const K& k, Path& path) const {
    Node* x = root_;
    for (unsigned h = height_; h > 0; --h) {
      auto* in = static_cast<Inner*>(x);
      const unsigned i = child_for(in, k);
      path.node[path.depth] = in;
      path.at[path.depth] = i;
      ++path.depth;
      x = in->child[i];
    }
    return static_cast<Leaf*>(x);
  }

  // Puts `right` (split off the child at path level d's `at`) after it in
  // that parent, or in a new root when the split node was the root.
  void add_sibling(Node* left, const K& low_left, std::uint32_t count_left, Node* right, const K& low_right,
                   std::uint32_t count_right, Path& path, unsigned d) {
    if (d == 0) {
      auto* root = new Inner;
      root->n = 2;
      root->low[0] = low_left;
      root->count[0] = count_left;
      root->child[0] = left;
      root->low[1] = low_right;
      root->count[1] = count_right;
      root->child[1] = right;
      root_ = root;
      ++height_;
      assert(height_ < kMaxHeight);
      return;
    }
    Inner* p = path.node[d - 1];
    const unsigned i = path.at[d - 1];
    p->count[i] = count_left;
    const unsigned n = p->n;
    std::move_backward(p->low.begin() + i + 1, p->low.begin() + n, p->low.begin() + n + 1);
    std::move_backward(p->count.begin() + i + 1, p->count.begin() + n, p->count.begin() + n + 1);
    std::move_backward(p->child.begin() + i + 1, p->child.begin() + n, p->child.begin() + n + 1);
    p->low[i + 1] = low_right;
    p->count[i + 1] = count_right;
    p->child[i + 1] = right;
    ++p->n;
    if (p->n == kCap) split_inner(p, path, d - 1);
  }

  void split(Leaf* l, Path& path) {
    constexpr unsigned half = kCap / 2;
    auto* r = new Leaf;
    std::copy(l->keys.begin() + half, l->keys.begin() + l->n, r->keys.begin());
    r->n = l->n - half;
    l->n = half;
    r->next = l->next;
    r->prev = l;
    if (r->next != nullptr) r->next->prev = r;
    l->next = r;
    add_sibling(l, l->keys[0], l->n, r, r->keys[0], r->n, path, path.depth);
  }

  void split_inner(Inner* l, Path& path, unsigned d) {
    constexpr unsigned half = kCap / 2;
    auto* r = new Inner;
    const unsigned moved = l->n - half;
    std::copy(l->low.begin() + half, l->low.begin() + l->n, r->low.begin());
    std::copy(l->count.begin() + half, l->count.begin() + l->n, r->count.begin());
    std::copy(l->child.begin() + half, l->child.begin() + l->n, r->child.begin());
    r->n = moved;
    l->n = half;
    std::uint32_t left = 0;
    std::uint32_t right = 0;
    for (unsigned j = 0; j < l->n; ++j) left += l->count[j];
    for (unsigned j = 0; j < r->n; ++j) right += r->count[j];
    add_sibling(l, l->low[0], left, r, r->low[0], right, path, d);
  }

  void remove_empty_leaf(Leaf* leaf, Path& path) {
    if (leaf->prev != nullptr) leaf->prev->next = leaf->next;
    if (leaf->next != nullptr) leaf->next->prev = leaf->prev;
    if (first_ == leaf) first_ = leaf->next;
    delete leaf;
    // Unhook it from its parent; an inner node left with no child goes too.
    unsigned d = path.depth;
    while (d > 0) {
      Inner* p = path.node[d - 1];
      const unsigned i = path.at[d - 1];
      const unsigned n = p->n;
      std::move(p->low.begin() + i + 1, p->low.begin() + n, p->low.begin() + i);
      std::move(p->count.begin() + i + 1, p->count.begin() + n, p->count.begin() + i);
      std::move(p->child.begin() + i + 1, p->child.begin() + n, p->child.begin() + i);
      --p->n;
      if (p->n != 0) break;
      delete p;
      --d;
    }
    if (d == 0) {  // the root itself went
      root_ = nullptr;
      first_ = nullptr;
      height_ = 0;
      return;
    }
    // A root with one child hands over to it.
    while (height_ > 0 && root_->n == 1) {
      auto* in = static_cast<Inner*>(root_);
      root_ = in->child[0];
      delete in;
      --height_;
    }
  }

  static void destroy(Node* x, unsigned h) noexcept {
    if (h == 0) {
      delete static_cast<Leaf*>(x);
      return;
    }
    auto* in = static_cast<Inner*>(x);
    for (unsigned j = 0; j < in->n; ++j) destroy(in->child[j], h - 1);
    delete in;
  }

  Node* root_ = nullptr;
  Leaf* first_ = nullptr;
  unsigned height_ = 0;
  std::size_t size_ = 0;
};

}  // namespace sla::views
