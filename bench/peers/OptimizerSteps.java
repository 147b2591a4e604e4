/*
 * The CPU engine's optimizer steps on given parameters and gradients, for bench/peers/optim_vs_torch.py to
 * compare with torch.optim. Reads little-endian float32: n parameters, then steps x n gradients; applies
 * `steps` updates of the given rule at a constant rate; writes the n final parameters.
 *
 * Run (after mvn package):
 *   java -cp target/roaf.jar bench/peers/OptimizerSteps.java adam|adamw|sgd LR WEIGHT_DECAY MOMENTUM N STEPS IN OUT
 */

import dev.roaf.engine.Tensor;
import dev.roaf.engine.cpu.CpuEngine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

public class OptimizerSteps {

    public static void main(String[] args) throws Exception {
        if (args.length != 8) {
            System.err.println("usage: OptimizerSteps.java adam|adamw|sgd LR WEIGHT_DECAY MOMENTUM N STEPS IN OUT");
            System.exit(2);
        }
        String rule = args[0];
        float lr = Float.parseFloat(args[1]), wd = Float.parseFloat(args[2]), momentum = Float.parseFloat(args[3]);
        int n = Integer.parseInt(args[4]), steps = Integer.parseInt(args[5]);
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(Path.of(args[6]))).order(ByteOrder.LITTLE_ENDIAN);
        float[] p0 = new float[n];
        in.asFloatBuffer().get(p0);
        in.position(4 * n);
        try (CpuEngine e = new CpuEngine(1);
             Tensor p = e.fromHost(p0, n); Tensor g = e.zeros(n); Tensor m = e.zeros(n); Tensor v = e.zeros(n)) {
            float[] grad = new float[n];
            for (int t = 1; t <= steps; t++) {
                in.asFloatBuffer().get(grad);
                in.position(in.position() + 4 * n);
                e.upload(grad, g);
                switch (rule) {
                    case "adam" -> e.adamStep(p, g, m, v, lr, 0.9f, 0.999f, 1e-8f, t, wd, false);
                    case "adamw" -> e.adamStep(p, g, m, v, lr, 0.9f, 0.999f, 1e-8f, t, wd, true);
                    case "sgd" -> e.sgdStep(p, g, momentum != 0f ? m : null, lr, momentum, wd);
                    default -> throw new IllegalArgumentException("unknown rule " + rule);
                }
            }
            ByteBuffer out = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            out.asFloatBuffer().put(e.toHost(p));
            Files.write(Path.of(args[7]), out.array());
        }
    }
}
