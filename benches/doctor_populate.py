import sys, time, trainyard as ty
n = int(sys.argv[2]); url = sys.argv[1]
e = ty.Engine.open(url)
rita = ty.Actor("rita", roles=["account_release_manager"])
e.register_process("id: soak\nphases:\n  - id: wait\n    activities: [{ id: soak, kind: wait, duration: 30d }]\n")
t = time.time()
for i in range(n):
    r = e.create_release("soak", name=f"release {i}", actor=rita)
    if i % 2 == 0:
        e.activate(r.id, actor=rita)
    if (i + 1) % 10000 == 0:
        print(i + 1, round(time.time() - t), flush=True)
print("populated", n, round(time.time() - t, 1), "s", flush=True)
