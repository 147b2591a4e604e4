package dev.roaf.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TasksTest {
    @Test
    void createsSyntheticTasksWithDefaults() {
        TaskOptions o = TaskOptions.defaults().withEnv(Map.of());
        Task adding = Tasks.create("adding", o);
        assertEquals(1000, adding.steps());
        assertEquals(2, adding.inputSize());
        assertEquals(1, adding.outputSize());
        assertEquals(1000, adding.testSize());
        Task copy = Tasks.create("copy", o);
        assertEquals(120, copy.steps());
        assertEquals(9, copy.outputSize());
        Task longCopy = Tasks.create("copy", o.withLength(500).withTestSize(7));
        assertEquals(520, longCopy.steps());
        assertEquals(7, longCopy.testSize());
        assertEquals(TaskOptions.DEFAULT_TEST_SEED, adding.describe().get("testSeed"));
        assertThrows(IllegalArgumentException.class, () -> Tasks.create("adding", o.withLength(1)));
    }

    @Test
    void createsImageTasks(@TempDir Path tmp) {
        TestData.writeMnistDir(tmp.resolve("mnist"), 4, 2, true);
        TestData.writeMnistDir(tmp.resolve("fashion"), 3, 2, false);
        TaskOptions o = TaskOptions.defaults().withEnv(Map.of("HOME", tmp.toString())).withDataDir(tmp);
        Task smnist = Tasks.create("smnist", o);
        assertEquals(784, smnist.steps());
        assertEquals(1, smnist.inputSize());
        assertEquals(4, smnist.trainSize());
        Task mlp = Tasks.create("fashion", o);
        assertEquals(0, mlp.steps());
        assertEquals(784, mlp.inputSize());
        assertEquals(3, mlp.trainSize());
        assertEquals("fashion", mlp.describe().get("dataset"));
        assertEquals("psfashion", Tasks.create("psfashion", o).name());
    }

    @Test
    void unknownTaskListsTheValidNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tasks.create("cifar", TaskOptions.defaults()));
        for (String name : Tasks.NAMES) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
    }
}
