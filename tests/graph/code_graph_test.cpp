// tests/graph/code_graph_test.cpp — resolution of contains/imports/calls/inherits edges.
#include "graph/code_graph.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "graph_fixture.h"

namespace cci::graph {
namespace {

using testing::edge_named;
using testing::edges_from;
using testing::Project;

constexpr auto kPy = Language::Python;

TEST(CodeGraph, ContainsEdgesFollowParents) {
  Project p;
  auto& f = p.file("pkg/mod.py", kPy, "pkg.mod");
  const int cls = Project::add(f, SymbolKind::Class, "Foo", "pkg.mod.Foo");
  Project::add(f, SymbolKind::Method, "bar", "pkg.mod.Foo.bar", cls);
  Project::add(f, SymbolKind::Function, "top", "pkg.mod.top");
  const GraphResult r = p.build();

  const auto from_file = edges_from(r, p.id("pkg/mod.py"), EdgeKind::Contains);
  ASSERT_EQ(from_file.size(), 2U);
  for (const Edge& e : from_file) {
    EXPECT_EQ(e.resolution, Resolution::Structural);
    EXPECT_TRUE(e.target_name.empty());
  }
  const auto from_class = edges_from(r, p.id("pkg/mod.py", "pkg.mod.Foo"), EdgeKind::Contains);
  ASSERT_EQ(from_class.size(), 1U);
  EXPECT_EQ(from_class[0].target, p.id("pkg/mod.py", "pkg.mod.Foo.bar"));
  EXPECT_EQ(r.ranks.size(), 4U);
}

TEST(CodeGraph, PythonFromImportBindsCallAndImportEdge) {
  Project p;
  auto& a = p.file("pkg/a.py", kPy, "pkg.a");
  Project::add(a, SymbolKind::Function, "f", "pkg.a.f");
  auto& other = p.file("pkg/other.py", kPy, "pkg.other");
  Project::add(other, SymbolKind::Function, "f", "pkg.other.f");  // same name elsewhere: import decides
  auto& b = p.file("pkg/b.py", kPy, "pkg.b");
  const int run = Project::add(b, SymbolKind::Function, "run", "pkg.b.run");
  Project::import(b, Import{.module = "pkg.a", .names = {{.name = "f", .alias = "g"}}});
  Project::import(b, Import{.module = ".other"});
  Project::call(b, run, "g");
  const GraphResult r = p.build();

  const auto call = edge_named(r, p.id("pkg/b.py", "pkg.b.run"), EdgeKind::Calls, "g");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->target, p.id("pkg/a.py", "pkg.a.f"));
  EXPECT_EQ(call->resolution, Resolution::Import);

  const auto imp = edge_named(r, p.id("pkg/b.py"), EdgeKind::Imports, "pkg.a");
  ASSERT_TRUE(imp);
  EXPECT_EQ(imp->target, p.id("pkg/a.py"));
  EXPECT_EQ(imp->resolution, Resolution::Import);
  const auto rel = edge_named(r, p.id("pkg/b.py"), EdgeKind::Imports, ".other");
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->target, p.id("pkg/other.py"));
}

TEST(CodeGraph, PythonPackageInitAndSubmoduleImports) {
  Project p;
  auto& init = p.file("pkg/__init__.py", kPy, "pkg");
  Project::add(init, SymbolKind::Function, "setup", "pkg.setup");
  auto& sub = p.file("pkg/sub.py", kPy, "pkg.sub");
  Project::add(sub, SymbolKind::Function, "work", "pkg.sub.work");
  auto& main = p.file("app.py", kPy, "app");
  const int run = Project::add(main, SymbolKind::Function, "run", "app.run");
  Project::import(main, Import{.module = "pkg", .names = {{.name = "sub"}, {.name = "setup"}}});
  Project::call(main, run, "work", "sub");
  Project::call(main, run, "setup");
  const GraphResult r = p.build();

  const auto imports = edges_from(r, p.id("app.py"), EdgeKind::Imports);
  ASSERT_EQ(imports.size(), 2U);  // pkg/__init__.py and pkg/sub.py
  const auto work = edge_named(r, p.id("app.py", "app.run"), EdgeKind::Calls, "sub.work");
  ASSERT_TRUE(work);
  EXPECT_EQ(work->target, p.id("pkg/sub.py", "pkg.sub.work"));
  EXPECT_EQ(work->resolution, Resolution::Import);
  const auto setup = edge_named(r, p.id("app.py", "app.run"), EdgeKind::Calls, "setup");
  ASSERT_TRUE(setup);
  EXPECT_EQ(setup->target, p.id("pkg/__init__.py", "pkg.setup"));
}

TEST(CodeGraph, SelfCallBindsToOwnAndInheritedMethods) {
  Project p;
  auto& base = p.file("base.py", kPy, "base");
  const int b = Project::add(base, SymbolKind::Class, "Base", "base.Base");
  Project::add(base, SymbolKind::Method, "save", "base.Base.save", b);
  auto& child = p.file("child.py", kPy, "child");
  const int c = Project::add(child, SymbolKind::Class, "Child", "child.Child");
  const int run = Project::add(child, SymbolKind::Method, "run", "child.Child.run", c);
  Project::add(child, SymbolKind::Method, "helper", "child.Child.helper", c);
  Project::import(child, Import{.module = "base", .names = {{.name = "Base"}}});
  Project::inherit(child, c, "Base");
  Project::call(child, run, "helper", "self");
  Project::call(child, run, "save", "self");
  Project::call(child, run, "missing", "self");  // not on Child nor Base: never a guess
  // A project-wide unique `missing` exists, but self.missing() must not bind to it.
  auto& other = p.file("other.py", kPy, "other");
  const int oc = Project::add(other, SymbolKind::Class, "Other", "other.Other");
  Project::add(other, SymbolKind::Method, "missing", "other.Other.missing", oc);
  const GraphResult r = p.build();

  const SymbolId run_id = p.id("child.py", "child.Child.run");
  const auto helper = edge_named(r, run_id, EdgeKind::Calls, "self.helper");
  ASSERT_TRUE(helper);
  EXPECT_EQ(helper->target, p.id("child.py", "child.Child.helper"));
  EXPECT_EQ(helper->resolution, Resolution::Member);
  const auto save = edge_named(r, run_id, EdgeKind::Calls, "self.save");
  ASSERT_TRUE(save);
  EXPECT_EQ(save->target, p.id("base.py", "base.Base.save"));
  EXPECT_EQ(save->resolution, Resolution::Member);
  const auto missing = edge_named(r, run_id, EdgeKind::Calls, "self.missing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->target, 0);
  EXPECT_EQ(missing->resolution, Resolution::Unresolved);

  const auto inh = edges_from(r, p.id("child.py", "child.Child"), EdgeKind::Inherits);
  ASSERT_EQ(inh.size(), 1U);
  EXPECT_EQ(inh[0].target, p.id("base.py", "base.Base"));
  EXPECT_EQ(inh[0].resolution, Resolution::Import);
}

TEST(CodeGraph, SuperCallSkipsOwnClass) {
  Project p;
  auto& f = p.file("m.py", kPy, "m");
  const int b = Project::add(f, SymbolKind::Class, "B", "m.B");
  Project::add(f, SymbolKind::Method, "__init__", "m.B.__init__", b);
  const int c = Project::add(f, SymbolKind::Class, "C", "m.C");
  const int init = Project::add(f, SymbolKind::Method, "__init__", "m.C.__init__", c);
  Project::inherit(f, c, "B");
  Project::call(f, init, "__init__", "super()");
  const GraphResult r = p.build();
  const auto e = edge_named(r, p.id("m.py", "m.C.__init__"), EdgeKind::Calls, "super().__init__");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target, p.id("m.py", "m.B.__init__"));
  EXPECT_EQ(e->resolution, Resolution::Member);
  const auto inh = edges_from(r, p.id("m.py", "m.C"), EdgeKind::Inherits);
  ASSERT_EQ(inh.size(), 1U);
  EXPECT_EQ(inh[0].resolution, Resolution::Local);
}

TEST(CodeGraph, LocalCallPrefersSameFile) {
  Project p;
  auto& a = p.file("a.py", kPy, "a");
  Project::add(a, SymbolKind::Function, "helper", "a.helper");
  const int main = Project::add(a, SymbolKind::Function, "main", "a.main");
  Project::call(a, main, "helper");
  Project::call(a, -1, "main");  // file-level call: source is the file
  auto& b = p.file("b.py", kPy, "b");
  Project::add(b, SymbolKind::Function, "helper", "b.helper");
  const GraphResult r = p.build();

  const auto e = edge_named(r, p.id("a.py", "a.main"), EdgeKind::Calls, "helper");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target, p.id("a.py", "a.helper"));
  EXPECT_EQ(e->resolution, Resolution::Local);
  const auto top = edge_named(r, p.id("a.py"), EdgeKind::Calls, "main");
  ASSERT_TRUE(top);
  EXPECT_EQ(top->target, p.id("a.py", "a.main"));
}

TEST(CodeGraph, NestedFunctionIsLocalToItsScope) {
  Project p;
  auto& a = p.file("a.py", kPy, "a");
  const int outer = Project::add(a, SymbolKind::Function, "outer", "a.outer");
  Project::add(a, SymbolKind::Function, "inner", "a.outer.inner", outer);
  Project::call(a, outer, "inner");
  auto& b = p.file("b.py", kPy, "b");
  const int other = Project::add(b, SymbolKind::Function, "other", "b.other");
  Project::call(b, other, "inner");  // a nested function is not visible project-wide
  const GraphResult r = p.build();
  EXPECT_EQ(edge_named(r, p.id("a.py", "a.outer"), EdgeKind::Calls, "inner")->resolution, Resolution::Local);
  EXPECT_EQ(edge_named(r, p.id("b.py", "b.other"), EdgeKind::Calls, "inner")->target, 0);
}

TEST(CodeGraph, QualifiedCallPicksTheNamedNamespace) {
  Project p;
  auto& h = p.file("src/a.cpp", Language::Cpp);
  const int ns1 = Project::add(h, SymbolKind::Namespace, "alpha", "alpha");
  Project::add(h, SymbolKind::Function, "f", "alpha::f", ns1);
  const int ns2 = Project::add(h, SymbolKind::Namespace, "beta", "beta");
  Project::add(h, SymbolKind::Function, "f", "beta::f", ns2);
  auto& m = p.file("src/main.cpp", Language::Cpp);
  const int main = Project::add(m, SymbolKind::Function, "main", "main");
  Project::call(m, main, "f", "beta");
  Project::call(m, main, "f");  // bare: two candidates, stays unresolved
  const GraphResult r = p.build();

  const auto q = edge_named(r, p.id("src/main.cpp", "main"), EdgeKind::Calls, "beta::f");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->target, p.id("src/a.cpp", "beta::f"));
  EXPECT_EQ(q->resolution, Resolution::Qualified);
  const auto bare = edge_named(r, p.id("src/main.cpp", "main"), EdgeKind::Calls, "f");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->target, 0);
  EXPECT_EQ(bare->resolution, Resolution::Unresolved);
}

TEST(CodeGraph, StaticCallOnClassIsQualified) {
  Project p;
  auto& a = p.file("a.py", kPy, "a");
  const int foo = Project::add(a, SymbolKind::Class, "Foo", "a.Foo");
  Project::add(a, SymbolKind::Method, "create", "a.Foo.create", foo);
  auto& b = p.file("b.py", kPy, "b");
  const int bar = Project::add(b, SymbolKind::Class, "Bar", "b.Bar");
  Project::add(b, SymbolKind::Method, "create", "b.Bar.create", bar);
  auto& c = p.file("c.py", kPy, "c");
  const int run = Project::add(c, SymbolKind::Function, "run", "c.run");
  Project::call(c, run, "create", "Foo");
  const GraphResult r = p.build();
  const auto e = edge_named(r, p.id("c.py", "c.run"), EdgeKind::Calls, "Foo.create");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target, p.id("a.py", "a.Foo.create"));
  EXPECT_EQ(e->resolution, Resolution::Qualified);
}

TEST(CodeGraph, UniqueNameBindsOnlyTheSingleDefinition) {
  Project p;
  auto& a = p.file("lib/util.py", kPy, "lib.util");
  Project::add(a, SymbolKind::Function, "slugify", "lib.util.slugify");
  auto& b = p.file("app/views.py", kPy, "app.views");
  const int view = Project::add(b, SymbolKind::Function, "view", "app.views.view");
  Project::call(b, view, "slugify");
  const GraphResult r = p.build();
  const auto e = edge_named(r, p.id("app/views.py", "app.views.view"), EdgeKind::Calls, "slugify");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target, p.id("lib/util.py", "lib.util.slugify"));
  EXPECT_EQ(e->resolution, Resolution::UniqueName);
}

TEST(CodeGraph, AmbiguousNameIsNeverBound) {
  Project p;
  auto& a = p.file("a.py", kPy, "a");
  Project::add(a, SymbolKind::Function, "helper", "a.helper");
  auto& b = p.file("b.py", kPy, "b");
  Project::add(b, SymbolKind::Function, "helper", "b.helper");
  auto& c = p.file("c.py", kPy, "c");
  const int run = Project::add(c, SymbolKind::Function, "run", "c.run");
  Project::call(c, run, "helper");
  const GraphResult r = p.build();
  const auto e = edge_named(r, p.id("c.py", "c.run"), EdgeKind::Calls, "helper");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target, 0);
  EXPECT_EQ(e->resolution, Resolution::Unresolved);
  EXPECT_EQ(e->target_name, "helper");
}

TEST(CodeGraph, ExternalCallsStayUnresolved) {
  Project p;
  auto& a = p.file("a.py", kPy, "a");
  const int run = Project::add(a, SymbolKind::Function, "run", "a.run");
  Project::add(a, SymbolKind::Function, "array", "a.array");  // unique, but np.array is numpy's
  Project::import(a, Import{.module = "numpy", .alias = "np"});
  Project::import(a, Import{.module = "os.path"});
  Project::call(a, run, "print");
  Project::call(a, run, "array", "np");
  Project::call(a, run, "join", "os.path");
  const GraphResult r = p.build();
  const SymbolId src = p.id("a.py", "a.run");
  for (const char* name : {"print", "np.array", "os.path.join"}) {
    const auto e = edge_named(r, src, EdgeKind::Calls, name);
    ASSERT_TRUE(e) << name;
    EXPECT_EQ(e->target, 0) << name;
    EXPECT_EQ(e->resolution, Resolution::Unresolved) << name;
  }
  const auto imp = edge_named(r, p.id("a.py"), EdgeKind::Imports, "numpy");
  ASSERT_TRUE(imp);
  EXPECT_EQ(imp->target, 0);
  EXPECT_EQ(imp->resolution, Resolution::Unresolved);
}

TEST(CodeGraph, UnknownReceiverBindsOnlyAUniqueMethod) {
  Project p;
  auto& a = p.file("a.py", kPy, "a");
  const int cls = Project::add(a, SymbolKind::Class, "Queue", "a.Queue");
  Project::add(a, SymbolKind::Method, "enqueue", "a.Queue.enqueue", cls);
  Project::add(a, SymbolKind::Function, "append", "a.append");  // a function, not a method
  const int run = Project::add(a, SymbolKind::Function, "run", "a.run");
  Project::call(a, run, "enqueue", "q");
  Project::call(a, run, "append", "items");
  const GraphResult r = p.build();
  const SymbolId src = p.id("a.py", "a.run");
  const auto e = edge_named(r, src, EdgeKind::Calls, "q.enqueue");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target, p.id("a.py", "a.Queue.enqueue"));
  EXPECT_EQ(e->resolution, Resolution::UniqueName);
  EXPECT_EQ(edge_named(r, src, EdgeKind::Calls, "items.append")->target, 0);
}

TEST(CodeGraph, InheritsAcrossFilesWithoutImport) {
  Project p;
  auto& a = p.file("com/x/Shape.java", Language::Java, "com.x");
  Project::add(a, SymbolKind::Interface, "Shape", "com.x.Shape");
  auto& b = p.file("com/x/Circle.java", Language::Java, "com.x");
  const int circle = Project::add(b, SymbolKind::Class, "Circle", "com.x.Circle");
  Project::inherit(b, circle, "Shape", "", RefKind::Implement);
  auto& c = p.file("com/y/Ring.java", Language::Java, "com.y");
  const int ring = Project::add(c, SymbolKind::Class, "Ring", "com.y.Ring");
  Project::import(c, Import{.module = "com.x.Circle"});
  Project::inherit(c, ring, "Circle");
  const GraphResult r = p.build();

  const auto impl = edges_from(r, p.id("com/x/Circle.java", "com.x.Circle"), EdgeKind::Implements);
  ASSERT_EQ(impl.size(), 1U);
  EXPECT_EQ(impl[0].target, p.id("com/x/Shape.java", "com.x.Shape"));
  EXPECT_EQ(impl[0].resolution, Resolution::Import);  // same package scope
  const auto inh = edges_from(r, p.id("com/y/Ring.java", "com.y.Ring"), EdgeKind::Inherits);
  ASSERT_EQ(inh.size(), 1U);
  EXPECT_EQ(inh[0].target, p.id("com/x/Circle.java", "com.x.Circle"));
  EXPECT_EQ(inh[0].resolution, Resolution::Import);
  const auto imp = edge_named(r, p.id("com/y/Ring.java"), EdgeKind::Imports, "com.x.Circle");
  ASSERT_TRUE(imp);
  EXPECT_EQ(imp->target, p.id("com/x/Circle.java"));
}

TEST(CodeGraph, JavaImplicitThisAndStaticImportCall) {
  Project p;
  auto& a = p.file("com/x/Util.java", Language::Java, "com.x");
  const int util = Project::add(a, SymbolKind::Class, "Util", "com.x.Util");
  Project::add(a, SymbolKind::Method, "clean", "com.x.Util.clean", util);
  auto& b = p.file("com/y/App.java", Language::Java, "com.y");
  const int app = Project::add(b, SymbolKind::Class, "App", "com.y.App");
  const int run = Project::add(b, SymbolKind::Method, "run", "com.y.App.run", app);
  Project::add(b, SymbolKind::Method, "step", "com.y.App.step", app);
  Project::import(b, Import{.module = "com.x.Util"});
  Project::call(b, run, "step");
  Project::call(b, run, "clean", "Util");
  const GraphResult r = p.build();
  const SymbolId src = p.id("com/y/App.java", "com.y.App.run");
  EXPECT_EQ(edge_named(r, src, EdgeKind::Calls, "step")->resolution, Resolution::Member);
  const auto clean = edge_named(r, src, EdgeKind::Calls, "Util.clean");
  ASSERT_TRUE(clean);
  EXPECT_EQ(clean->target, p.id("com/x/Util.java", "com.x.Util.clean"));
  EXPECT_EQ(clean->resolution, Resolution::Import);
}

TEST(CodeGraph, JsRelativeImportResolvesExtensionAndIndex) {
  Project p;
  auto& util = p.file("src/util.ts", Language::TypeScript, "src/util");
  Project::add(util, SymbolKind::Function, "fmt", "src/util.fmt");
  auto& idx = p.file("src/lib/index.js", Language::JavaScript, "src/lib/index");
  Project::add(idx, SymbolKind::Function, "fmt", "src/lib/index.fmt");
  auto& app = p.file("src/app/main.tsx", Language::Tsx, "src/app/main");
  const int render = Project::add(app, SymbolKind::Function, "render", "src/app/main.render");
  Project::import(app, Import{.module = "../util", .names = {{.name = "fmt"}}});
  Project::import(app, Import{.module = "../lib", .alias = "lib"});
  Project::import(app, Import{.module = "react", .names = {{.name = "useState"}}});
  Project::call(app, render, "fmt");
  Project::call(app, render, "fmt", "lib");
  Project::call(app, render, "useState");
  const GraphResult r = p.build();

  const SymbolId file = p.id("src/app/main.tsx");
  EXPECT_EQ(edge_named(r, file, EdgeKind::Imports, "../util")->target, p.id("src/util.ts"));
  EXPECT_EQ(edge_named(r, file, EdgeKind::Imports, "../lib")->target, p.id("src/lib/index.js"));
  EXPECT_EQ(edge_named(r, file, EdgeKind::Imports, "react")->resolution, Resolution::Unresolved);
  const SymbolId src = p.id("src/app/main.tsx", "src/app/main.render");
  const auto fmt = edge_named(r, src, EdgeKind::Calls, "fmt");
  ASSERT_TRUE(fmt);
  EXPECT_EQ(fmt->target, p.id("src/util.ts", "src/util.fmt"));
  EXPECT_EQ(fmt->resolution, Resolution::Import);
  EXPECT_EQ(edge_named(r, src, EdgeKind::Calls, "lib.fmt")->target, p.id("src/lib/index.js", "src/lib/index.fmt"));
  EXPECT_EQ(edge_named(r, src, EdgeKind::Calls, "useState")->target, 0);
}

TEST(CodeGraph, CIncludePrefersTheIncludingDirectory) {
  Project p;
  auto& near = p.file("src/util/str.h", Language::C);
  Project::add(near, SymbolKind::Function, "str_dup", "str_dup");
  auto& far = p.file("vendor/util/str.h", Language::C);
  Project::add(far, SymbolKind::Function, "str_dup", "str_dup");
  auto& impl = p.file("src/util/str.c", Language::C);
  Project::add(impl, SymbolKind::Function, "str_dup", "str_dup");
  auto& main = p.file("src/main.c", Language::C);
  const int fn = Project::add(main, SymbolKind::Function, "main", "main");
  Project::import(main, Import{.module = "util/str.h"});
  Project::import(main, Import{.module = "stdio.h", .system = true});
  Project::call(main, fn, "str_dup");
  Project::call(main, fn, "printf");
  const GraphResult r = p.build();

  const SymbolId file = p.id("src/main.c");
  const auto inc = edge_named(r, file, EdgeKind::Imports, "util/str.h");
  ASSERT_TRUE(inc);
  EXPECT_EQ(inc->target, p.id("src/util/str.h"));
  EXPECT_EQ(edge_named(r, file, EdgeKind::Imports, "stdio.h")->resolution, Resolution::Unresolved);
  // The header declaration stands for the definition in str.c.
  const auto call = edge_named(r, p.id("src/main.c", "main"), EdgeKind::Calls, "str_dup");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->target, p.id("src/util/str.c", "str_dup"));
  EXPECT_EQ(call->resolution, Resolution::Import);
  EXPECT_EQ(edge_named(r, p.id("src/main.c", "main"), EdgeKind::Calls, "printf")->target, 0);
}

TEST(CodeGraph, CIncludeBySuffixWhenUnique) {
  Project p;
  p.file("include/proj/api.h", Language::Cpp);
  auto& user = p.file("src/user.cpp", Language::Cpp);
  Project::import(user, Import{.module = "proj/api.h"});
  const GraphResult r = p.build();
  EXPECT_EQ(edge_named(r, p.id("src/user.cpp"), EdgeKind::Imports, "proj/api.h")->target,
            p.id("include/proj/api.h"));
}

TEST(CodeGraph, SystemIncludeResolvesToTheNearestProjectHeader) {
  // The Linux kernel layout: <linux/slab.h> is include/linux/slab.h for kernel code, while the
  // tools/ tree has its own copy that only tools/ code should bind to.
  Project p;
  auto& kernel_hdr = p.file("include/linux/slab.h", Language::C);
  Project::add(kernel_hdr, SymbolKind::Function, "kmalloc", "kmalloc");
  auto& tools_hdr = p.file("tools/include/linux/slab.h", Language::C);
  Project::add(tools_hdr, SymbolKind::Function, "kmalloc", "kmalloc");
  auto& fs = p.file("fs/ext4/dir.c", Language::C);
  const int readdir = Project::add(fs, SymbolKind::Function, "ext4_readdir", "ext4_readdir");
  Project::import(fs, Import{.module = "linux/slab.h", .system = true});
  Project::import(fs, Import{.module = "stdio.h", .system = true});
  Project::call(fs, readdir, "kmalloc");
  auto& tool = p.file("tools/perf/util.c", Language::C);
  const int helper = Project::add(tool, SymbolKind::Function, "helper", "helper");
  Project::import(tool, Import{.module = "linux/slab.h", .system = true});
  Project::call(tool, helper, "kmalloc");
  const GraphResult r = p.build();

  EXPECT_EQ(edge_named(r, p.id("fs/ext4/dir.c"), EdgeKind::Imports, "linux/slab.h")->target,
            p.id("include/linux/slab.h"));
  EXPECT_EQ(edge_named(r, p.id("fs/ext4/dir.c"), EdgeKind::Imports, "stdio.h")->resolution, Resolution::Unresolved);
  const auto kernel_call = edge_named(r, p.id("fs/ext4/dir.c", "ext4_readdir"), EdgeKind::Calls, "kmalloc");
  ASSERT_TRUE(kernel_call);
  EXPECT_EQ(kernel_call->target, p.id("include/linux/slab.h", "kmalloc"));
  EXPECT_EQ(kernel_call->resolution, Resolution::Import);
  const auto tool_call = edge_named(r, p.id("tools/perf/util.c", "helper"), EdgeKind::Calls, "kmalloc");
  ASSERT_TRUE(tool_call);
  EXPECT_EQ(tool_call->target, p.id("tools/include/linux/slab.h", "kmalloc"));
}

TEST(CodeGraph, GoPackageQualifiedCall) {
  Project p;
  auto& u1 = p.file("internal/util/strings.go", Language::Go, "util");
  Project::add(u1, SymbolKind::Function, "Clean", "util.Clean");
  auto& u2 = p.file("internal/util/other.go", Language::Go, "util");
  Project::add(u2, SymbolKind::Function, "trim", "util.trim");
  auto& x = p.file("cmd/x/util/strings.go", Language::Go, "util");  // another package named util
  Project::add(x, SymbolKind::Function, "Clean", "util.Clean");
  auto& m = p.file("cmd/app/main.go", Language::Go, "main");
  const int main = Project::add(m, SymbolKind::Function, "main", "main.main");
  Project::import(m, Import{.module = "example.com/proj/internal/util"});
  Project::import(m, Import{.module = "fmt"});
  Project::call(m, main, "Clean", "util");
  Project::call(m, main, "Println", "fmt");
  // Same package, another file: bare call.
  Project::call(u1, 1, "trim");
  const GraphResult r = p.build();

  const auto imports = edges_from(r, p.id("cmd/app/main.go"), EdgeKind::Imports);
  std::size_t resolved = 0;
  for (const Edge& e : imports) resolved += e.resolution == Resolution::Import ? 1 : 0;
  EXPECT_EQ(resolved, 2U);  // both files of internal/util
  const SymbolId src = p.id("cmd/app/main.go", "main.main");
  const auto clean = edge_named(r, src, EdgeKind::Calls, "util.Clean");
  ASSERT_TRUE(clean);
  EXPECT_EQ(clean->target, p.id("internal/util/strings.go", "util.Clean"));
  EXPECT_EQ(clean->resolution, Resolution::Import);
  EXPECT_EQ(edge_named(r, src, EdgeKind::Calls, "fmt.Println")->target, 0);
  const auto trim = edge_named(r, p.id("internal/util/strings.go", "util.Clean"), EdgeKind::Calls, "trim");
  ASSERT_TRUE(trim);
  EXPECT_EQ(trim->target, p.id("internal/util/other.go", "util.trim"));
}

TEST(CodeGraph, GoReceiverCallIsMember) {
  Project p;
  auto& f = p.file("srv/server.go", Language::Go, "srv");
  Project::add(f, SymbolKind::Struct, "Server", "srv.Server");
  const int start = Project::add(f, SymbolKind::Method, "Start", "srv.Server.Start", -1, true,
                                 "func (s *Server) Start() error");
  Project::add(f, SymbolKind::Method, "listen", "srv.Server.listen", -1, false, "func (s *Server) listen()");
  auto& g = p.file("cli/client.go", Language::Go, "cli");
  Project::add(g, SymbolKind::Struct, "Client", "cli.Client");
  Project::add(g, SymbolKind::Method, "listen", "cli.Client.listen", -1, false, "func (c *Client) listen()");
  Project::call(f, start, "listen", "s");
  const GraphResult r = p.build();
  const auto e = edge_named(r, p.id("srv/server.go", "srv.Server.Start"), EdgeKind::Calls, "s.listen");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target, p.id("srv/server.go", "srv.Server.listen"));
  EXPECT_EQ(e->resolution, Resolution::Member);
}

TEST(CodeGraph, RustUseBindsItem) {
  Project p;
  auto& lib = p.file("src/net/http.rs", Language::Rust, "crate::net::http");
  Project::add(lib, SymbolKind::Function, "get", "crate::net::http::get");
  auto& other = p.file("src/cache.rs", Language::Rust, "crate::cache");
  Project::add(other, SymbolKind::Function, "get", "crate::cache::get");
  auto& m = p.file("src/main.rs", Language::Rust, "crate");
  const int main = Project::add(m, SymbolKind::Function, "main", "crate::main");
  Project::import(m, Import{.module = "crate::net::http", .names = {{.name = "get"}}});
  Project::import(m, Import{.module = "crate::cache"});
  Project::call(m, main, "get");
  Project::call(m, main, "get", "cache");
  const GraphResult r = p.build();
  const SymbolId src = p.id("src/main.rs", "crate::main");
  const auto bare = edge_named(r, src, EdgeKind::Calls, "get");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->target, p.id("src/net/http.rs", "crate::net::http::get"));
  EXPECT_EQ(bare->resolution, Resolution::Import);
  const auto q = edge_named(r, src, EdgeKind::Calls, "cache::get");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->target, p.id("src/cache.rs", "crate::cache::get"));
  EXPECT_EQ(edge_named(r, p.id("src/main.rs"), EdgeKind::Imports, "crate::net::http")->target,
            p.id("src/net/http.rs"));
}

TEST(CodeGraph, ClassConstructorCallTargetsTheClass) {
  Project p;
  auto& a = p.file("a.py", kPy, "a");
  Project::add(a, SymbolKind::Class, "Widget", "a.Widget");
  auto& b = p.file("b.py", kPy, "b");
  const int run = Project::add(b, SymbolKind::Function, "run", "b.run");
  Project::call(b, run, "Widget");
  const GraphResult r = p.build();
  EXPECT_EQ(edge_named(r, p.id("b.py", "b.run"), EdgeKind::Calls, "Widget")->target, p.id("a.py", "a.Widget"));
}

TEST(CodeGraph, OverloadsCollapseToFirstDeclaration) {
  Project p;
  auto& a = p.file("a.cpp", Language::Cpp);
  const int first = Project::add(a, SymbolKind::Function, "put", "put");
  Project::add(a, SymbolKind::Function, "put", "put");
  const int caller = Project::add(a, SymbolKind::Function, "caller", "caller");
  Project::call(a, caller, "put");
  (void)first;
  const GraphResult r = p.build();
  const auto ids = assign_symbol_ids(p.files()[0]);
  EXPECT_EQ(edge_named(r, p.id("a.cpp", "caller"), EdgeKind::Calls, "put")->target, ids[1]);
}

TEST(CodeGraph, CppImplicitMemberBeatsFreeFunction) {
  Project p;
  auto& h = p.file("src/widget.h", Language::Cpp);
  const int w = Project::add(h, SymbolKind::Class, "Widget", "ui::Widget");
  const int draw = Project::add(h, SymbolKind::Method, "draw", "ui::Widget::draw", w);
  Project::add(h, SymbolKind::Method, "layout", "ui::Widget::layout", w);
  Project::add(h, SymbolKind::Function, "layout", "layout");  // free function, same name
  Project::call(h, draw, "layout");
  Project::call(h, draw, "layout", "this");
  const GraphResult r = p.build();
  const SymbolId src = p.id("src/widget.h", "ui::Widget::draw");
  const SymbolId method = p.id("src/widget.h", "ui::Widget::layout");
  EXPECT_EQ(edge_named(r, src, EdgeKind::Calls, "layout")->target, method);
  EXPECT_EQ(edge_named(r, src, EdgeKind::Calls, "this->layout")->target, method);
  EXPECT_EQ(edge_named(r, src, EdgeKind::Calls, "this->layout")->resolution, Resolution::Member);
}

TEST(CodeGraph, PythonWildcardAndPackageRelativeImports) {
  Project p;
  auto& init = p.file("pkg/__init__.py", kPy, "pkg");
  Project::import(init, Import{.module = ".", .names = {{.name = "tools"}}});
  auto& tools = p.file("pkg/tools.py", kPy, "pkg.tools");
  Project::add(tools, SymbolKind::Function, "hammer", "pkg.tools.hammer");
  auto& other = p.file("other/tools2.py", kPy, "other.tools2");
  Project::add(other, SymbolKind::Function, "hammer", "other.tools2.hammer");
  auto& user = p.file("pkg/user.py", kPy, "pkg.user");
  const int fn = Project::add(user, SymbolKind::Function, "build", "pkg.user.build");
  Project::import(user, Import{.module = ".tools", .names = {{.name = "*"}}});
  Project::call(user, fn, "hammer");
  const GraphResult r = p.build();
  const auto init_imports = edges_from(r, p.id("pkg/__init__.py"), EdgeKind::Imports);
  ASSERT_EQ(init_imports.size(), 1U);  // pkg/tools.py; no self edge to pkg/__init__.py
  EXPECT_EQ(init_imports[0].target, p.id("pkg/tools.py"));
  const auto call = edge_named(r, p.id("pkg/user.py", "pkg.user.build"), EdgeKind::Calls, "hammer");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->target, p.id("pkg/tools.py", "pkg.tools.hammer"));
  EXPECT_EQ(call->resolution, Resolution::Import);
}

TEST(CodeGraph, EdgesSortedDedupedAndDeterministic) {
  Project p;
  for (int i = 0; i < 6; ++i) {
    const std::string mod = "m" + std::to_string(i);
    auto& f = p.file(mod + ".py", kPy, mod);
    const int fn = Project::add(f, SymbolKind::Function, "f" + std::to_string(i), mod + ".f" + std::to_string(i));
    Project::add(f, SymbolKind::Function, "shared", mod + ".shared");
    if (i > 0) {
      const std::string prev = "m" + std::to_string(i - 1);
      Project::import(f, Import{.module = prev, .names = {{.name = "f" + std::to_string(i - 1)}}});
      Project::call(f, fn, "f" + std::to_string(i - 1), "", 5);
      Project::call(f, fn, "f" + std::to_string(i - 1), "", 5);  // the same reference twice
    }
    Project::call(f, fn, "shared", "", 7);
    Project::call(f, fn, "nowhere", "", 8);
  }
  const GraphResult base = p.build();
  for (std::size_t i = 1; i < base.edges.size(); ++i) {
    const Edge& a = base.edges[i - 1];
    const Edge& b = base.edges[i];
    EXPECT_LE(std::tie(a.source, a.kind, a.line, a.col, a.target, a.target_name),
              std::tie(b.source, b.kind, b.line, b.col, b.target, b.target_name));
    EXPECT_FALSE(a.source == b.source && a.target == b.target && a.kind == b.kind && a.line == b.line &&
                 a.col == b.col && a.target_name == b.target_name);
  }
  for (std::size_t i = 1; i < base.ranks.size(); ++i) EXPECT_LT(base.ranks[i - 1].id, base.ranks[i].id);

  std::vector<std::size_t> order(p.files().size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(42);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(order.begin(), order.end(), rng);
    const GraphResult shuffled = p.build_permuted(order);
    EXPECT_EQ(shuffled.edges, base.edges);
    EXPECT_EQ(shuffled.ranks, base.ranks);
  }
  EXPECT_EQ(p.build(true).edges, base.edges);
}

TEST(CodeGraph, EmptyAndDegenerateInput) {
  EXPECT_TRUE(build_graph({}).edges.empty());
  ParsedFile empty;  // no File symbol: ignored
  empty.path = "x.py";
  const FileInput in{&empty, nullptr};
  const GraphResult r = build_graph(std::span<const FileInput>(&in, 1));
  EXPECT_TRUE(r.ranks.empty());

  Project p;
  auto& f = p.file("a.py", kPy, "a");
  Project::call(f, 99, "nope");  // out-of-range `from` falls back to the file
  const GraphResult g = p.build();
  ASSERT_EQ(g.edges.size(), 1U);
  EXPECT_EQ(g.edges[0].source, p.id("a.py"));
}

}  // namespace
}  // namespace cci::graph
