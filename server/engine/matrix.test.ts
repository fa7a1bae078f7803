import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { instanceId, matrixCombinations, matrixEnv } from "./matrix.ts";

const ids = (matrix: Parameters<typeof matrixCombinations>[0]) => {
  const result = matrixCombinations(matrix, 100);
  if ("problems" in result) return result.problems;
  return result.combinations.map((c) => instanceId("test", c));
};

describe("matrix combinations", () => {
  it("combines every value of each axis, the first outermost, less the excluded", () => {
    assert.deepEqual(
      ids({
        shell: ["sh", "ash"],
        mode: ["fast", "full"],
        exclude: [{ shell: "ash", mode: "full" }],
      }),
      ["test[shell=sh,mode=fast]", "test[shell=sh,mode=full]", "test[shell=ash,mode=fast]"],
    );
    assert.equal(ids({ a: [1, 2], b: ["x", "y", "z"], exclude: [{ a: 1, b: "z" }] }).length, 5);
    assert.deepEqual(ids({ node: [20, 22], exclude: [{ node: 20 }] }), ["test[node=22]"]);
  });

  it("adds include entries to the combinations they do not change, or as their own", () => {
    const result = matrixCombinations(
      {
        os: ["alpine", "debian"],
        node: ["20"],
        include: [
          { os: "alpine", libc: "musl" },
          { experimental: true },
          { os: "windows", node: "22" },
        ],
      },
      100,
    );
    assert.ok("combinations" in result);
    assert.deepEqual(result.combinations, [
      { os: "alpine", node: "20", libc: "musl", experimental: "true" },
      { os: "debian", node: "20", experimental: "true" },
      { os: "windows", node: "22" },
    ]);
    assert.deepEqual(ids({ include: [{ a: "1" }, { a: "2" }] }), ["test[a=1]", "test[a=2]"]);
  });

  it("refuses bad keys and values, unknown exclude keys, too many and none left", () => {
    assert.deepEqual(
      ids({ "no-dash": ["a"], v: ["a,b", "ok", "ok"], exclude: [{ w: "x" }], Z: [1], z: [2] }),
      [
        { path: ".no-dash", message: "is not a key: letters, digits and '_'" },
        { path: ".v[0]", message: '"a,b" must be 1 to 64 letters, digits and ._:/+@-' },
        { path: ".v", message: '"ok" is listed twice' },
        { path: ".exclude[0].w", message: "is not a key of the matrix" },
        {
          path: ".z",
          message: "differs from another key only in case (both would be $OTTOSCALER_MATRIX_Z)",
        },
      ],
    );
    assert.deepEqual(matrixCombinations({ a: [1, 2, 3], b: [1, 2, 3] }, 8), {
      problems: [{ path: "", message: "9 combinations is over the limit of 8 stages" }],
    });
    assert.deepEqual(ids({ a: [1], exclude: [{ a: 1 }] }), [
      { path: "", message: "has no combination left (all excluded, none included)" },
    ]);
    assert.deepEqual(ids({ a: [] }), [{ path: ".a", message: "must be a list of values" }]);
  });

  it("gives each value to the workers as OTTOSCALER_MATRIX_<KEY>", () => {
    assert.deepEqual(matrixEnv({ node: "20", os_name: "alpine" }), {
      OTTOSCALER_MATRIX_NODE: "20",
      OTTOSCALER_MATRIX_OS_NAME: "alpine",
    });
  });
});
