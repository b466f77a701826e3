import os, sys, errno
def w(path, data):
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        print(f"{path} [{data!r}] open {errno.errorcode[e.errno]}"); return
    try:
        n = os.write(fd, data.encode())
        print(f"{path} [{data!r}] ok {n}")
    except OSError as e:
        print(f"{path} [{data!r}] {errno.errorcode[e.errno]}")
    os.close(fd)
def r(path):
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            print(f"{path} read {os.read(fd, 4096)!r}")
        except OSError as e:
            print(f"{path} read {errno.errorcode[e.errno]}")
        os.close(fd)
    except OSError as e:
        print(f"{path} open {errno.errorcode[e.errno]}")
d = sys.argv[1]
for f, v in [("cgroup.max.depth","abc"),("cgroup.max.depth","-1"),("cgroup.max.depth"," 0x"),("cgroup.max.depth","0x10"),("cgroup.max.depth","2147483648"),("cgroup.max.depth","010\n"),
             ("cgroup.freeze","2"),("cgroup.freeze","-1"),("cgroup.freeze","x"),("cgroup.type","domain"),
             ("cgroup.subtree_control","+bogus"),("cgroup.subtree_control","+memory"),("cgroup.subtree_control","memory"),("cgroup.subtree_control","+cpuacct"),("cgroup.subtree_control","+"),("cgroup.subtree_control","-memory"),("cgroup.subtree_control","+rdma"),("cgroup.subtree_control","+perf_event"),("cgroup.subtree_control","+hugetlb -hugetlb"),("cgroup.subtree_control","  "),("cgroup.subtree_control",""),("cgroup.subtree_control","+bogus +memory"),("cgroup.subtree_control","+memory +bogus"),("cgroup.subtree_control","+io"),("cgroup.subtree_control","-devices"),
             ("cgroup.controllers","x"),("cgroup.procs","abc"),("cgroup.procs","999999999"),("cgroup.procs","-5"),("cgroup.procs",""),("cgroup.kill","2"),("cgroup.kill","abc"),("cgroup.stat","x"),("cpu.stat","x"),("cgroup.events","x"),
             ("cgroup.pressure","2"),("cgroup.pressure","x"),("cpu.pressure","bogus"),("cpu.pressure","some 0 1000000"),("cpu.pressure","some 100 100"),("cpu.pressure","full 1000 10000001"),("cgroup.threads","abc"),("cgroup.threads","999999999"),("cgroup.stat.local","x"),("cpu.stat.local","x"),("cgroup.max.descendants","max\n"), ("cgroup.max.descendants","x"),("cgroup.max.depth", "x"*5000)]:
    w(os.path.join(d, f), v)
for f in ["cgroup.kill", "cgroup.procs", "cgroup.type", "cgroup.max.depth", "cgroup.max.descendants"]:
    r(os.path.join(d, f))
